"use client";

import { useEffect, useId, useRef, useState } from "react";
import type { AppError } from "@/api/errors";
import type { Conversation } from "@/api/types";
import type { Conversations } from "@/hooks/useConversations";
import type { Folders } from "@/hooks/useFolders";
import type { MessageSearch } from "@/hooks/useMessageSearch";
import type { MessageHit } from "@/lib/messageSearch";
import { viewLabel } from "@/lib/conversationList";
import type { Folder } from "@/lib/folders";
import { formatRelative } from "@/lib/format";
import { ErrorBanner } from "../ErrorBanner";
import { FolderNav } from "./FolderNav";
import { MessageHits } from "./MessageHits";
import { type MenuItem, RowMenu } from "./RowMenu";

function RenameForm({ conversation, onDone, rename }: { conversation: Conversation; onDone: () => void; rename: Conversations["rename"] }) {
  const [title, setTitle] = useState(conversation.title);
  const [error, setError] = useState<AppError | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  return (
    <form
      className="px-2 py-1.5"
      onSubmit={async (e) => {
        e.preventDefault();
        const clean = title.trim();
        if (!clean || clean === conversation.title) return onDone();
        const failure = await rename(conversation.id, clean);
        if (failure) setError(failure);
        else onDone();
      }}
    >
      <label htmlFor={id} className="sr-only">
        New title
      </label>
      <input
        id={id}
        ref={input}
        value={title}
        maxLength={200}
        onChange={(e) => setTitle(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onDone();
          }
        }}
        className="w-full rounded border border-field bg-bg px-2 py-1 text-sm"
      />
      <div className="mt-1 flex gap-1">
        <button type="submit" className="rounded bg-accent px-2 py-0.5 text-xs text-accent-fg">
          Save
        </button>
        <button type="button" onClick={onDone} className="rounded px-2 py-0.5 text-xs hover:bg-surface-2">
          Cancel
        </button>
      </div>
      {error ? <ErrorBanner error={error} /> : null}
    </form>
  );
}

/** A pushpin drawn inline (an emoji pin is a missing glyph on systems without an emoji font). */
function PinIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" width="12" height="12" fill="currentColor">
      <path d="M10.5 1.5a.75.75 0 0 1 1.06 0l2.94 2.94a.75.75 0 0 1 0 1.06l-1.1 1.1a.75.75 0 0 1-.6.22l-1.2-.12-2.3 2.3.32 2.57a.75.75 0 0 1-.21.62l-.9.9a.75.75 0 0 1-1.06 0L5.1 10.72 2.28 13.53a.75.75 0 1 1-1.06-1.06L4.03 9.66 1.66 7.29a.75.75 0 0 1 0-1.06l.9-.9a.75.75 0 0 1 .62-.21l2.57.32 2.3-2.3-.12-1.2a.75.75 0 0 1 .22-.6l1.1-1.1Z" />
    </svg>
  );
}

/** "Move to folder": the user's folders (and "No folder") in a select, Move/Cancel. */
function MoveForm({ conversation, folders, move, onDone }: { conversation: Conversation; folders: Folder[]; move: (folderId: string | null) => Promise<AppError | null>; onDone: () => void }) {
  const [target, setTarget] = useState(conversation.folder_id ?? "");
  const [error, setError] = useState<AppError | null>(null);
  const select = useRef<HTMLSelectElement>(null);
  const id = useId();
  useEffect(() => select.current?.focus(), []);
  return (
    <form
      className="px-2 py-1.5"
      onSubmit={async (e) => {
        e.preventDefault();
        if (target === (conversation.folder_id ?? "")) return onDone();
        const failure = await move(target || null);
        if (failure) setError(failure);
        else onDone();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onDone();
        }
      }}
    >
      <label htmlFor={id} className="block truncate text-xs text-muted">
        Move “{conversation.title}” to
      </label>
      <select id={id} ref={select} value={target} onChange={(e) => setTarget(e.target.value)} className="mt-1 w-full rounded border border-field bg-bg px-2 py-1 text-sm">
        <option value="">No folder</option>
        {folders.map((f) => (
          <option key={f.id} value={f.id}>
            {f.name}
          </option>
        ))}
      </select>
      <div className="mt-1 flex gap-1">
        <button type="submit" className="rounded bg-accent px-2 py-0.5 text-xs text-accent-fg">
          Move
        </button>
        <button type="button" onClick={onDone} className="rounded px-2 py-0.5 text-xs hover:bg-surface-2">
          Cancel
        </button>
      </div>
      {error ? <ErrorBanner error={error} /> : null}
    </form>
  );
}

function Row({
  conversation,
  active,
  onOpen,
  conversations,
  folders,
  onDeleted,
  onOrganised,
}: {
  conversation: Conversation;
  active: boolean;
  onOpen: (id: string) => void;
  conversations: Conversations;
  folders: Folder[];
  onDeleted: (id: string) => void;
  onOrganised: () => void;
}) {
  const [mode, setMode] = useState<"view" | "rename" | "move" | "confirm">("view");
  const [error, setError] = useState<AppError | null>(null);
  const organise = async (patch: Parameters<Conversations["update"]>[1]) => {
    const failure = await conversations.update(conversation.id, patch);
    setError(failure);
    if (!failure) onOrganised();
    return failure;
  };
  if (mode === "rename") {
    return (
      <li>
        <RenameForm conversation={conversation} rename={conversations.rename} onDone={() => setMode("view")} />
      </li>
    );
  }
  if (mode === "move") {
    return (
      <li>
        <MoveForm conversation={conversation} folders={folders} move={(folderId) => organise({ folder_id: folderId })} onDone={() => setMode("view")} />
      </li>
    );
  }
  const archived = Boolean(conversation.archived_at);
  const folder = folders.find((f) => f.id === conversation.folder_id) ?? null;
  const items: MenuItem[] = [
    { label: "Rename", onSelect: () => setMode("rename") },
    { label: conversation.pinned ? "Unpin" : "Pin", onSelect: () => void organise({ pinned: !conversation.pinned }) },
    ...(folders.length > 0 || folder ? [{ label: "Move to folder…", onSelect: () => setMode("move") }] : []),
    { label: archived ? "Restore" : "Archive", onSelect: () => void organise({ archived: !archived }) },
    { label: "Delete", onSelect: () => setMode("confirm"), danger: true },
  ];
  return (
    <li className={`group rounded-md ${active ? "bg-accent-soft" : "hover:bg-surface-2"}`} data-pinned={conversation.pinned ? "true" : undefined}>
      <div className="flex items-center">
        <button
          type="button"
          onClick={() => onOpen(conversation.id)}
          aria-current={active ? "true" : undefined}
          title={conversation.title}
          className="min-w-0 flex-1 px-2 py-1.5 text-left"
        >
          <span className="flex items-center gap-1 text-sm">
            {conversation.pinned ? (
              <span className="shrink-0 text-muted" data-testid="pinned">
                <PinIcon />
                <span className="sr-only">Pinned: </span>
              </span>
            ) : null}
            <span className="block min-w-0 flex-1 truncate" data-testid="conversation-title">
              {conversation.title}
            </span>
          </span>
          <span className="block truncate text-xs text-muted">
            {formatRelative(conversation.updated_at)}
            {folder ? ` · ${folder.name}` : ""}
          </span>
        </button>
        {mode === "view" ? <RowMenu title={conversation.title} hint="Rename, pin, move, archive or delete" items={items} /> : null}
      </div>
      {mode === "confirm" ? (
        <div className="flex flex-wrap items-center gap-1 px-2 pb-2 text-xs" role="group" aria-label="Confirm delete">
          <span className="text-muted">Delete this chat?</span>
          <button
            type="button"
            autoFocus
            className="rounded bg-danger px-2 py-0.5 font-medium text-bg"
            onClick={async () => {
              const failure = await conversations.remove(conversation.id);
              if (failure) setError(failure);
              else {
                onDeleted(conversation.id);
                onOrganised();
              }
            }}
          >
            Delete
          </button>
          <button type="button" className="rounded px-2 py-0.5 hover:bg-surface" onClick={() => setMode("view")}>
            Keep
          </button>
        </div>
      ) : null}
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
    </li>
  );
}

export function Sidebar({
  conversations,
  folders,
  activeId,
  onOpen,
  onNew,
  onDeleted,
  messageSearch,
  onOpenHit,
}: {
  conversations: Conversations;
  folders: Folders;
  activeId: string | null;
  onOpen: (id: string) => void;
  onNew: () => void;
  onDeleted: (id: string) => void;
  /** Messages matching the query (words and meaning), shown under the conversations. */
  messageSearch?: MessageSearch;
  onOpenHit?: (hit: MessageHit) => void;
}) {
  const searchId = useId();
  const listHeading = useId();
  const { items, loading, error, query, setQuery, hasMore, loadMore, view, setView } = conversations;
  const label = viewLabel(view, (id) => folders.items.find((f) => f.id === id)?.name ?? null);
  const empty = query.trim()
    ? "No conversation matches."
    : view.kind === "archived"
      ? "No archived conversations."
      : view.kind === "folder"
        ? "No conversations in this folder."
        : "No conversations yet.";
  return (
    <nav aria-label="Conversations" className="flex h-full w-full min-w-0 flex-col gap-2 p-2">
      <button
        type="button"
        onClick={onNew}
        className="rounded-md bg-accent px-3 py-2 text-sm font-medium text-accent-fg hover:bg-accent-hover"
      >
        + New chat
      </button>
      <div>
        <label htmlFor={searchId} className="sr-only">
          Search conversations and messages
        </label>
        <input
          id={searchId}
          type="search"
          placeholder="Search conversations"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          className="w-full rounded-md border border-field bg-bg px-2.5 py-1.5 text-sm"
        />
      </div>
      <FolderNav folders={folders} view={view} setView={setView} />
      {error ? <ErrorBanner error={error} /> : null}
      <h2 id={listHeading} className="px-2 text-xs font-semibold uppercase tracking-wide text-muted" data-testid="list-heading">
        {label}
      </h2>
      <div className="-mx-1 flex min-h-0 flex-1 flex-col gap-3 overflow-y-auto px-1">
        <ul aria-labelledby={listHeading} className="space-y-0.5" aria-busy={loading} data-testid="conversation-list">
          {items.map((c) => (
            <Row
              key={c.id}
              conversation={c}
              active={c.id === activeId}
              onOpen={onOpen}
              conversations={conversations}
              folders={folders.items}
              onDeleted={onDeleted}
              onOrganised={() => void folders.refresh()}
            />
          ))}
          {!loading && items.length === 0 ? <li className="px-2 py-3 text-sm text-muted">{empty}</li> : null}
          {hasMore ? (
            <li>
              <button type="button" onClick={() => void loadMore()} className="w-full rounded px-2 py-1.5 text-sm text-muted hover:bg-surface-2">
                Load more
              </button>
            </li>
          ) : null}
        </ul>
        {messageSearch && onOpenHit && query.trim() ? <MessageHits search={messageSearch} onOpen={onOpenHit} /> : null}
      </div>
    </nav>
  );
}
