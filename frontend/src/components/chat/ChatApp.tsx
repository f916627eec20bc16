"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { Citation, Conversation } from "@/api/types";
import { SEND_UNKNOWN, useChat } from "@/hooks/useChat";
import { useConversations } from "@/hooks/useConversations";
import { useMessageSearch } from "@/hooks/useMessageSearch";
import { useSearchTarget } from "@/hooks/useSearchTarget";
import { type MessageHit, hitHref } from "@/lib/messageSearch";
import { useDocuments } from "@/hooks/useDocuments";
import { useFolders } from "@/hooks/useFolders";
import { useModels } from "@/hooks/useModels";
import { slashQuery, usePrompts } from "@/hooks/usePrompts";
import { useChatParameters } from "@/hooks/useChatParameters";
import { usePresets } from "@/hooks/usePresets";
import { type Connection, toTurns } from "@/lib/chatState";
import { summary } from "@/lib/parameters";
import { formatUsd } from "@/lib/format";
import { lengthState } from "@/lib/limits";
import { msg } from "@/lib/messages";
import { AppShell } from "../AppShell";
import { ErrorBanner } from "../ErrorBanner";
import { ConversationTransfer } from "../transfer/ConversationTransfer";
import { Composer } from "./Composer";
import { citationsByMessage } from "./documentCitations";
import { DocumentPassage } from "./DocumentPassage";
import { DocumentsBar } from "./DocumentsBar";
import { AttachButton, AttachmentTray, ImageDropZone, MessageImagesView, useComposerImages, useConversationImages } from "./Attachments";
import { sendBlocker } from "@/lib/attachments";
import { AssistantMessage, UserBubble } from "./MessageView";
import { UserMessage } from "./UserMessage";
import { ModelPicker } from "./ModelPicker";
import { PromptMenu, usePromptMenu } from "./PromptMenu";
import { ShortcutHelp } from "./ShortcutHelp";
import { ParametersPanel } from "./ParametersPanel";
import { Sidebar } from "./Sidebar";
import { SystemPromptEditor } from "./SystemPrompt";
import { useChatShortcuts } from "./useChatShortcuts";

const NEAR_BOTTOM_PX = 120;

function Welcome() {
  return (
    <div className="mx-auto mt-16 max-w-md text-center">
      <h2 className="text-xl font-semibold">What can I help with?</h2>
      <p className="mt-2 text-muted">
        Every answer shows the tokens it used, what it cost and which provider wrote it.
      </p>
    </div>
  );
}

/** The connection state that concerns one reply (none when it is fine or about another). */
function connectionOf(connection: Connection, messageId: string): "reconnecting" | "lost" | null {
  if (connection.state === "ok") return null;
  return connection.messageId === null || connection.messageId === messageId ? connection.state : null;
}

/** "Reconnecting…" while the hook re-attaches; "Connection lost" with a retry once it gave up. */
function ConnectionNote({ connection, onRetry }: { connection: Connection; onRetry: () => void }) {
  if (connection.state === "ok") return null;
  if (connection.state === "reconnecting") {
    return (
      <p role="status" data-testid="connection" data-state="reconnecting" className="rounded-lg border border-warn bg-warn-soft px-3 py-2 text-sm text-warn">
        <strong className="font-semibold">Reconnecting…</strong>{" "}
        {connection.messageId
          ? "The connection dropped; the answer keeps being written and will continue here"
          : "The connection dropped; checking whether your message arrived"}{" "}
        (attempt {connection.attempt}).
      </p>
    );
  }
  return (
    <div role="alert" data-testid="connection" data-state="lost" className="flex flex-wrap items-center gap-2 rounded-lg border border-danger bg-danger-soft px-3 py-2 text-sm text-danger">
      <span className="min-w-0 flex-1">
        <strong className="font-semibold">Connection lost.</strong> Your message was saved; the answer may still be being written.
      </span>
      <button type="button" onClick={onRetry} className="rounded-md border border-current px-2 py-0.5 font-medium hover:underline">
        Retry
      </button>
    </div>
  );
}

export function ChatApp() {
  const params = useSearchParams();
  const router = useRouter();
  const conversationId = params.get("c");
  const conversations = useConversations(params.get("q") ?? "");
  const { touch, replace } = conversations;
  const messageSearch = useMessageSearch(conversations.query);
  const folders = useFolders();
  const presets = usePresets();
  const models = useModels("chat");
  // The conversation made for a first message, so it appears in the sidebar as it was made.
  const created = useRef<Conversation | null>(null);
  const chat = useChat(conversationId, {
    // The server accepted a message: only now does a new conversation appear (sidebar, URL).
    onConversation: (id, title) => {
      const made = created.current?.id === id ? created.current : null;
      touch({ ...made, id, ...(title ? { title } : {}) });
      if (made) void folders.refresh();
      if (id !== conversationId) router.replace(`/?c=${encodeURIComponent(id)}`);
    },
  });
  const { state, stop } = chat;
  const documents = useDocuments(conversationId, state.busy);
  const [openCitation, setOpenCitation] = useState<Citation | null>(null);
  const citations = useMemo(() => citationsByMessage(documents.byMessage, setOpenCitation), [documents.byMessage]);
  const [draft, setDraft] = useState("");
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [promptOpen, setPromptOpen] = useState(false);
  const [paramsOpen, setParamsOpen] = useState(false);
  const [newPrompt, setNewPrompt] = useState("");
  const [pageError, setPageError] = useState<AppError | null>(null);
  /** The user message being edited in place, and the editor's text. */
  const [editing, setEditing] = useState<{ id: string; text: string } | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const composer = useRef<HTMLTextAreaElement>(null);
  const stick = useRef(true);

  const listed = conversations.items.find((c) => c.id === conversationId) ?? null;
  const title = listed?.title ?? chat.conversation?.title ?? (conversationId ? "" : "New chat");
  const systemPrompt = conversationId ? (chat.conversation?.system_prompt ?? "") : newPrompt;
  const chatParameters = useChatParameters({
    conversationId,
    conversation: chat.conversation,
    setConversation: chat.setConversation,
    replace,
    models,
    presets,
    newPrompt,
    setNewPrompt,
  });
  const { parameters, shownModel, newParams } = chatParameters;
  const parametersNote = summary(parameters);
  const turns = useMemo(() => toTurns(state.messages), [state.messages]);
  const lastTurn = turns[turns.length - 1];
  const images = useComposerImages();
  const shownModelInfo = models.byId(shownModel);
  const imageBlocker = sendBlocker(images.state, shownModelInfo ? shownModelInfo.vision : null, shownModelInfo?.label ?? "This model");
  const userIds = useMemo(() => turns.flatMap((t) => (t.user ? [t.user.id] : [])).join(","), [turns]);
  const messageImages = useConversationImages(conversationId, userIds);
  const idle = !state.busy;

  // Another conversation: no editor left open from the last one.
  useEffect(() => setEditing(null), [conversationId]);

  // Follow the answer while it streams, unless the reader scrolled up.
  useEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [state.messages, state.pending]);

  const open = useCallback(
    (id: string) => {
      setSidebarOpen(false);
      setPageError(null);
      router.push(`/?c=${encodeURIComponent(id)}`);
    },
    [router],
  );

  const openHit = useCallback(
    (hit: MessageHit) => {
      setSidebarOpen(false);
      setPageError(null);
      router.push(hitHref(hit));
    },
    [router],
  );

  // A search hit opened: its message is scrolled to and highlighted (its branch shown first).
  const highlighted = useSearchTarget({
    conversationId,
    target: params.get("m"),
    loaded: chat.conversation?.id === conversationId,
    busy: state.busy,
    messages: state.messages,
    switchTo: chat.switchTo,
    beforeScroll: () => {
      stick.current = false;
    },
  });
  const mark = (id: string | undefined) => (id !== undefined && id === highlighted ? "rounded-2xl ring-2 ring-accent ring-offset-4 ring-offset-bg" : "");

  const startNew = useCallback(() => {
    setSidebarOpen(false);
    setPageError(null);
    setNewPrompt("");
    chatParameters.resetNew();
    // A new chat is not archived: leave the archive so it shows up once it is made.
    if (conversations.view.kind === "archived") conversations.setView({ kind: "all" });
    router.push("/");
    composer.current?.focus();
  }, [router, conversations.view.kind, conversations.setView]);

  // The prompt library is fetched the first time `/` is typed in an empty composer.
  const slash = slashQuery(draft);
  const [promptsWanted, setPromptsWanted] = useState(false);
  useEffect(() => {
    if (slash !== null) setPromptsWanted(true);
  }, [slash]);
  const prompts = usePrompts(promptsWanted);
  const promptMenu = usePromptMenu(slash, prompts.items, (prompt) => {
    setDraft(prompt.content);
    composer.current?.focus();
  });

  // Esc stops the answer wherever the focus is; the rest are in lib/shortcuts.ts.
  const shortcuts = useChatShortcuts({
    newChat: startNew,
    stop: state.busy ? stop : undefined,
    focusComposer: () => composer.current?.focus(),
    search: () => {
      setSidebarOpen(true);
      // Shown first on a phone (the sidebar opens), then focused.
      requestAnimationFrame(() => document.querySelector<HTMLInputElement>("#conversation-sidebar input[type=search]")?.focus());
    },
    lastAnswer: lastTurn?.shown?.content || null,
  });

  /**
   * A new conversation is created for its first message but stays invisible (no sidebar entry,
   * no URL) until the server accepts that message; if it is refused, the conversation is deleted
   * again, so a refused first send leaves no trace. The text stays in the composer.
   */
  async function send() {
    const content = draft.trim();
    const attachmentIds = images.ids;
    if ((!content && attachmentIds.length === 0) || state.busy || lengthState(content).over || imageBlocker) return;
    setPageError(null);
    setDraft("");
    stick.current = true;
    let id = conversationId;
    const fresh = !id;
    if (!id) {
      try {
        const view = conversations.view;
        const { data, error, response } = await api().POST("/api/v1/conversations", {
          body: {
            system_prompt: newPrompt,
            model: models.selected,
            temperature: newParams.temperature,
            max_tokens: newParams.max_tokens,
            // Started while a folder is shown: it goes in that folder.
            folder_id: view.kind === "folder" ? view.id : null,
          },
        });
        if (!data) {
          setPageError(fromResponse(response, error));
          setDraft(content);
          return;
        }
        id = data.id;
        created.current = data;
        chat.adopt(data);
      } catch (e) {
        setPageError(networkError(e));
        setDraft(content);
        return;
      }
    }
    const failure = await chat.send(id, content, fresh ? models.selected : shownModel, attachmentIds);
    if (!failure) {
      images.clear();
      return;
    }
    // Refused (or not known to be saved): nothing the user wrote is lost.
    setDraft((current) => current || content);
    if (fresh) {
      chat.forget();
      // Only what the server surely does not have is deleted: an unknown fate keeps it (unshown).
      if (failure.code !== SEND_UNKNOWN) await discard(id);
    } else void chat.reload();
  }

  /** Documents attached to a new chat start the conversation (with the chosen parameters). */
  async function attachDocuments(files: File[]) {
    let id = conversationId;
    if (!id) {
      try {
        const { data, error, response } = await api().POST("/api/v1/conversations", {
          body: { system_prompt: newPrompt, model: models.selected, temperature: newParams.temperature, max_tokens: newParams.max_tokens },
        });
        if (!data) {
          setPageError(fromResponse(response, error));
          return;
        }
        id = data.id;
        created.current = data;
        chat.adopt(data);
        touch(data);
        router.replace(`/?c=${encodeURIComponent(id)}`);
      } catch (e) {
        setPageError(networkError(e));
        return;
      }
    }
    await documents.upload(id, files);
  }

  /** Delete a conversation made for a first message the server refused (best effort). */
  async function discard(id: string) {
    try {
      await api().DELETE("/api/v1/conversations/{conversation_id}", { params: { path: { conversation_id: id } } });
    } catch {
      // offline: an empty conversation is left on the server, but it was never shown
    }
  }

  /** Send the edited text as a new version; if it is refused, the editor opens again with it. */
  async function saveEdit() {
    if (!editing || state.busy) return;
    const { id, text } = editing;
    const content = text.trim();
    if (!content || lengthState(content).over) return;
    setPageError(null);
    setEditing(null);
    stick.current = true;
    // The new version keeps the original's images.
    const kept = (messageImages[id] ?? []).map((image) => image.id);
    const failure = await chat.edit(id, content, models.selected, kept);
    if (failure) setEditing((current) => current ?? { id, text });
  }

  async function savePrompt(prompt: string): Promise<AppError | null> {
    if (!conversationId) {
      setNewPrompt(prompt);
      return null;
    }
    try {
      const { data, error, response } = await api().PATCH("/api/v1/conversations/{conversation_id}", {
        params: { path: { conversation_id: conversationId } },
        body: { system_prompt: prompt },
      });
      if (!data) return fromResponse(response, error);
      chat.setConversation(data);
      touch(data);
      return null;
    } catch (e) {
      return networkError(e);
    }
  }

  const error = pageError ?? state.error;
  const menuButton = (
    <button
      type="button"
      className="rounded-md border border-line px-2 py-1 text-sm md:hidden"
      aria-expanded={sidebarOpen}
      aria-controls="conversation-sidebar"
      onClick={() => setSidebarOpen((v) => !v)}
    >
      Chats
    </button>
  );

  return (
    <AppShell fill headerActions={menuButton}>
      <div className="relative flex min-h-0 flex-1">
        <aside
          id="conversation-sidebar"
          className={`${sidebarOpen ? "absolute inset-y-0 left-0 z-20 flex shadow-xl" : "hidden"} w-72 max-w-[85vw] shrink-0 flex-col border-r border-line bg-surface md:static md:flex md:shadow-none`}
        >
          <Sidebar
            conversations={conversations}
            folders={folders}
            activeId={conversationId}
            onOpen={open}
            onNew={startNew}
            onDeleted={(id) => {
              if (id === conversationId) startNew();
            }}
            messageSearch={messageSearch}
            onOpenHit={openHit}
          />
        </aside>
        {sidebarOpen ? (
          <button
            type="button"
            aria-label="Close conversations"
            className="absolute inset-0 z-10 bg-black/30 md:hidden"
            onClick={() => setSidebarOpen(false)}
          />
        ) : null}
        <main id="main" className="flex min-w-0 flex-1 flex-col">
          <div className="flex flex-wrap items-center gap-2 border-b border-line px-4 py-2">
            <h1 className="mr-auto min-w-0 truncate font-semibold" data-testid="chat-title">
              {title}
            </h1>
            <ModelPicker models={models.models} value={shownModel} onChange={(id) => void chatParameters.pickModel(id).then((failure) => failure && setPageError(failure))} />
            <button
              type="button"
              aria-expanded={paramsOpen}
              onClick={() => setParamsOpen((v) => !v)}
              title={parametersNote || "Model, temperature, max output tokens, presets"}
              className="rounded-md border border-line px-2 py-1 text-sm hover:bg-surface-2"
            >
              Parameters{parametersNote ? " •" : ""}
            </button>
            <button
              type="button"
              aria-expanded={promptOpen}
              onClick={() => setPromptOpen((v) => !v)}
              className="rounded-md border border-line px-2 py-1 text-sm hover:bg-surface-2"
            >
              System prompt{systemPrompt ? " •" : ""}
            </button>
            <button
              type="button"
              onClick={shortcuts.openHelp}
              aria-label={msg.shortcuts.open}
              title={msg.shortcuts.open}
              className="rounded-md border border-line px-2 py-1 text-sm hover:bg-surface-2"
            >
              ?
            </button>
            {conversationId ? <ConversationTransfer conversationId={conversationId} title={title} /> : null}
          </div>
          {paramsOpen ? (
            <ParametersPanel
              values={parameters}
              models={models.models}
              presets={presets}
              onSave={chatParameters.save}
              onApply={chatParameters.applyPreset}
              onClose={() => setParamsOpen(false)}
            />
          ) : null}
          {promptOpen ? (
            <SystemPromptEditor value={systemPrompt} onSave={savePrompt} onClose={() => setPromptOpen(false)} />
          ) : null}
          <div
            ref={scroller}
            className="min-h-0 flex-1 overflow-y-auto"
            onScroll={(e) => {
              const el = e.currentTarget;
              stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
            }}
          >
            <div className="mx-auto w-full max-w-3xl space-y-6 px-4 py-6" data-testid="message-list">
              {state.olderCursor ? (
                <button type="button" onClick={() => void chat.loadOlder()} className="mx-auto block rounded px-3 py-1 text-sm text-muted hover:bg-surface-2">
                  Show earlier messages
                </button>
              ) : null}
              {turns.length === 0 && !state.pending && !conversationId ? <Welcome /> : null}
              {turns.map((turn, i) => (
                <div key={turn.user?.id ?? turn.shown?.id ?? i} className="space-y-3">
                  {turn.user ? (
                    <div className={mark(turn.user.id)} data-highlighted={turn.user.id === highlighted ? "true" : undefined}>
                      <UserMessage
                        message={turn.user}
                        idle={idle}
                        draft={editing?.id === turn.user.id ? editing.text : null}
                        onEdit={() => turn.user && setEditing({ id: turn.user.id, text: turn.user.content })}
                        onDraft={(text) => setEditing((current) => (current ? { ...current, text } : current))}
                        onCancel={() => setEditing(null)}
                        onSave={() => void saveEdit()}
                        onSwitch={(id) => void chat.switchTo(id)}
                      />
                    </div>
                  ) : null}
                  {turn.user ? <MessageImagesView items={messageImages[turn.user.id]} /> : null}
                  {turn.shown ? (
                    <div className={mark(turn.shown.id)} data-highlighted={turn.shown.id === highlighted ? "true" : undefined}>
                      <AssistantMessage
                        turn={turn}
                        streaming={turn.shown.id === state.streamingId}
                        connection={connectionOf(state.connection, turn.shown.id)}
                        fallback={state.fallbacks[turn.shown.id] ?? null}
                        model={models.byId(turn.shown.model)}
                        canRegenerate={idle}
                        onRegenerate={(id) => {
                          stick.current = true;
                          void chat.regenerate(id);
                        }}
                        onSwitch={(id) => void chat.switchTo(id)}
                        citations={citations.get(turn.shown.id) ?? null}
                      />
                    </div>
                  ) : null}
                </div>
              ))}
              {state.pending ? (
                <div className="space-y-3">
                  <UserBubble content={state.pending.content} pending />
                  <p className="text-muted" role="status">
                    Sending…
                  </p>
                </div>
              ) : null}
            </div>
          </div>
          <div className="mx-auto w-full max-w-3xl space-y-2 px-4 pb-4">
            {error ? (
              <ErrorBanner
                error={error}
                onDismiss={() => {
                  setPageError(null);
                  chat.dismissError();
                }}
              />
            ) : null}
            <ConnectionNote connection={state.connection} onRetry={() => void chat.retry()} />
            {state.busy && state.maxCostUsd && state.connection.state === "ok" ? (
              <p className="text-xs text-muted" role="status" data-testid="reserved">
                {Number(state.maxCostUsd) > 0
                  ? `Reserved up to ${formatUsd(state.maxCostUsd)} for this answer.`
                  : "This answer is free."}{" "}
                Press Esc to stop.
              </p>
            ) : null}
            {shortcuts.notice ? (
              <p className="text-xs text-muted" role="status" data-testid="shortcut-notice">
                {shortcuts.notice}
              </p>
            ) : null}
            {promptMenu.open ? (
              <PromptMenu
                listId={promptMenu.control.listId}
                matches={promptMenu.matches}
                active={promptMenu.active}
                loading={prompts.loading}
                hasAny={prompts.items.length > 0}
                onPick={(prompt) => {
                  setDraft(prompt.content);
                  composer.current?.focus();
                }}
                onHover={promptMenu.setActive}
              />
            ) : null}
            <DocumentsBar
              documents={documents.documents}
              uploading={documents.uploading}
              error={documents.error}
              onDismissError={documents.dismissError}
              onAttach={(files) => void attachDocuments(files)}
              onRemove={(id) => void documents.remove(id)}
            />
            <AttachmentTray state={images.state} onRemove={images.remove} blocker={imageBlocker} />
            <ImageDropZone onFiles={images.add}>
              <Composer
                menu={promptMenu.open ? promptMenu.control : null}
                ref={composer}
                value={draft}
                onChange={setDraft}
                onSend={() => void send()}
                onStop={chat.stop}
                busy={state.busy}
                withoutText={images.ids.length > 0}
              />
            </ImageDropZone>
            <div className="flex flex-wrap items-center gap-2">
              <AttachButton onFiles={images.add} disabled={state.busy} />
            </div>
          </div>
        </main>
      </div>
      {shortcuts.helpOpen ? <ShortcutHelp onClose={shortcuts.closeHelp} /> : null}
      {openCitation ? <DocumentPassage citation={openCitation} onClose={() => setOpenCitation(null)} /> : null}
    </AppShell>
  );
}
