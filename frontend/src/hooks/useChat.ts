"use client";

import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { api } from "@/api/client";
import { type ChatEvent, parseChatEvent } from "@/api/chatEvents";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import { readSSE } from "@/api/sse";
import type { Conversation, Message } from "@/api/types";
import { chatReducer, initialChat, streamingReply } from "@/lib/chatState";

type StreamStart = (signal: AbortSignal) => Promise<{
  data?: ReadableStream<Uint8Array> | null;
  error?: unknown;
  response: Response;
}>;

/** How one stream ended. `cut`: no done/error arrived (network, server restart). */
type Outcome =
  | { kind: "finished" }
  | { kind: "refused"; error: AppError }
  | { kind: "cut"; messageId: string | null; progressed: boolean }
  | { kind: "aborted" };

/** Timers, injectable so tests never wait. */
export interface Timers {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Re-attaches to one reply at most, however often each one made progress. */
const MAX_REATTACHES = 20;

/** The code of a send whose fate is unknown (the server could not be asked whether it arrived). */
export const SEND_UNKNOWN = "send_unknown";

/** Waits before each re-attach (bounded: after the last one the person is asked to retry). */
export const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000] as const;

export interface ChatCallbacks {
  /** The stream named its conversation (title taken from the first message). */
  onConversation?: (id: string, title: string | null) => void;
}

export interface ChatOptions {
  timers?: Timers;
  delaysMs?: readonly number[];
}

/**
 * Resolves after `ms`, early when the browser comes back online, or as soon as `signal` aborts
 * (then with false).
 */
function pause(ms: number, signal: AbortSignal, timers: Timers): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const done = (ok: boolean) => {
      timers.clearTimeout(handle);
      signal.removeEventListener("abort", onAbort);
      if (typeof window !== "undefined") window.removeEventListener("online", onOnline);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const onOnline = () => done(true);
    const handle = timers.setTimeout(() => done(true), ms);
    signal.addEventListener("abort", onAbort);
    if (typeof window !== "undefined") window.addEventListener("online", onOnline);
  });
}

/**
 * One conversation's messages and its live reply. A reply outlives the page: leaving or
 * reloading only stops *reading*; a reload re-attaches to a reply still `streaming`, and so does
 * a cut connection (with backoff). What the server has accepted is never sent again.
 */
export function useChat(conversationId: string | null, callbacks: ChatCallbacks = {}, options: ChatOptions = {}) {
  const [state, dispatch] = useReducer(chatReducer, initialChat);
  const stateRef = useRef(state);
  stateRef.current = state;
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const reader = useRef<AbortController | null>(null);
  /** Aborts a reconnect loop's waits (a new stream, another conversation, unmount). */
  const recovery = useRef<AbortController | null>(null);
  const loadedFor = useRef<string | null>(null);
  const stopWanted = useRef(false);
  const streamingId = useRef<string | null>(null);
  const cb = useRef(callbacks);
  cb.current = callbacks;
  streamingId.current = state.streamingId;
  const timers = options.timers ?? realTimers;
  const delays = options.delaysMs ?? RECONNECT_DELAYS_MS;
  const config = useRef({ timers, delays });
  config.current = { timers, delays };

  const stopReading = useCallback(() => {
    reader.current?.abort();
    reader.current = null;
    recovery.current?.abort();
    recovery.current = null;
  }, []);

  const requestStop = useCallback(async (id: string) => {
    try {
      await api().POST("/api/v1/messages/{message_id}/stop", { params: { path: { message_id: id } } });
    } catch {
      // the stream reports the final state; a failed stop leaves the reply running
    }
  }, []);

  /** Read one stream to its end; never throws. */
  const read = useCallback(
    async (start: StreamStart): Promise<Outcome> => {
      reader.current?.abort();
      const controller = new AbortController();
      reader.current = controller;
      let messageId: string | null = null;
      let progressed = false;
      try {
        const { data, error, response } = await start(controller.signal);
        if (!response.ok || !data) return { kind: "refused", error: fromResponse(response, error) };
        let finished = false;
        await readSSE(data, (raw) => {
          if (controller.signal.aborted) return;
          const event: ChatEvent | null = parseChatEvent(raw);
          if (!event) return;
          if (event.event === "done" || event.event === "error") finished = true;
          if (event.event === "message") {
            messageId = event.data.assistant_message.id;
            cb.current.onConversation?.(event.data.conversation_id, event.data.conversation_title);
            if (stopWanted.current) void requestStop(event.data.assistant_message.id);
          } else progressed = true;
          dispatch({ type: "event", event });
        });
        if (controller.signal.aborted) return { kind: "aborted" };
        return finished ? { kind: "finished" } : { kind: "cut", messageId, progressed };
      } catch {
        if (controller.signal.aborted) return { kind: "aborted" };
        return { kind: "cut", messageId, progressed };
      } finally {
        if (reader.current === controller) reader.current = null;
      }
    },
    [requestStop],
  );

  const attachStream = useCallback(
    (messageId: string): StreamStart =>
      (signal) =>
        api().GET("/api/v1/messages/{message_id}/stream", {
          params: { path: { message_id: messageId } },
          parseAs: "stream",
          signal,
        }),
    [],
  );

  /**
   * The stream of `messageId` was cut: re-attach with backoff until it finishes, the server
   * refuses (the reply is gone), or the attempts run out ("lost": the person can retry).
   */
  const recover = useCallback(
    async (messageId: string): Promise<void> => {
      recovery.current?.abort();
      const loop = new AbortController();
      recovery.current = loop;
      const { timers: t, delays: wait } = config.current;
      let attempt = 0;
      // Progress restarts the count, but never beyond a hard cap (a stream cut after every replay).
      let total = 0;
      let settled = false;
      while (!settled && attempt < wait.length && total < MAX_REATTACHES) {
        attempt += 1;
        total += 1;
        dispatch({ type: "reconnecting", attempt, messageId });
        if (!(await pause(wait[attempt - 1] ?? 0, loop.signal, t))) return;
        const outcome = await read(attachStream(messageId));
        if (loop.signal.aborted || outcome.kind === "aborted") return;
        if (outcome.kind === "refused") {
          // 404 (deleted), 401 (signed out): nothing to re-attach to.
          dispatch({ type: "failed", error: outcome.error });
        }
        settled = outcome.kind !== "cut";
        if (outcome.kind === "cut" && outcome.progressed) attempt = 0; // flowing again: count afresh
      }
      if (recovery.current === loop) recovery.current = null;
      if (!settled) dispatch({ type: "lost", messageId });
    },
    [attachStream, read],
  );

  /** Run a stream; a cut after the reply exists turns into re-attaching, never into a resend. */
  const run = useCallback(
    async (start: StreamStart): Promise<AppError | null | "unknown"> => {
      recovery.current?.abort();
      stopWanted.current = false;
      const outcome = await read(start);
      switch (outcome.kind) {
        case "refused":
          dispatch({ type: "failed", error: outcome.error });
          return outcome.error;
        case "cut":
          if (outcome.messageId) {
            await recover(outcome.messageId);
            return null;
          }
          return "unknown"; // cut before the server said anything: the caller checks
        default:
          return null;
      }
    },
    [read, recover],
  );

  const attach = useCallback(
    async (messageId: string): Promise<void> => {
      dispatch({ type: "attach" });
      const result = await run(attachStream(messageId));
      if (result === "unknown") await recover(messageId);
    },
    [attachStream, recover, run],
  );

  const load = useCallback(
    async (id: string) => {
      stopReading();
      dispatch({ type: "reset" });
      setConversation(null);
      loadedFor.current = id;
      try {
        const { data, error, response } = await api().GET("/api/v1/conversations/{conversation_id}", {
          params: { path: { conversation_id: id } },
        });
        if (loadedFor.current !== id) return;
        if (!data) {
          dispatch({ type: "failed", error: fromResponse(response, error) });
          return;
        }
        const { messages: page, ...meta } = data;
        setConversation(meta);
        dispatch({ type: "loaded", messages: page.items, olderCursor: page.next_cursor });
        const live = streamingReply(data.messages.items);
        if (live) void attach(live.id);
      } catch (e) {
        if (loadedFor.current === id) dispatch({ type: "failed", error: networkError(e) });
      }
    },
    [attach, stopReading],
  );

  useEffect(() => {
    if (conversationId === null) {
      if (loadedFor.current !== null) {
        stopReading();
        loadedFor.current = null;
        setConversation(null);
        dispatch({ type: "reset" });
      }
      return;
    }
    if (conversationId !== loadedFor.current) void load(conversationId);
  }, [conversationId, load, stopReading]);

  useEffect(() => stopReading, [stopReading]);

  const loadOlder = useCallback(async () => {
    const id = loadedFor.current;
    if (!id || !state.olderCursor) return;
    try {
      const { data } = await api().GET("/api/v1/conversations/{conversation_id}/messages", {
        params: { path: { conversation_id: id }, query: { cursor: state.olderCursor } },
      });
      if (data && loadedFor.current === id) {
        dispatch({ type: "older", messages: data.items, olderCursor: data.next_cursor });
      }
    } catch {
      // offline: the button stays, to be tried again
    }
  }, [state.olderCursor]);

  /** The conversation as the server has it now, or null when it cannot be read. */
  const fetchConversation = useCallback(async (id: string) => {
    try {
      const { data } = await api().GET("/api/v1/conversations/{conversation_id}", {
        params: { path: { conversation_id: id } },
      });
      return data ?? null;
    } catch {
      return null;
    }
  }, []);

  /**
   * The request was cut before the server answered: it may or may not have saved the message.
   * Ask (with backoff) instead of guessing: if a new user message with this text is there, show
   * it and follow its reply; if not, the send failed and the caller keeps the text.
   */
  const settleUnanswered = useCallback(
    async (id: string, known: Set<string>, isOurs: (m: Message) => boolean): Promise<AppError | null> => {
      const loop = new AbortController();
      recovery.current?.abort();
      recovery.current = loop;
      const { timers: t, delays: wait } = config.current;
      for (let attempt = 1; attempt <= wait.length; attempt++) {
        dispatch({ type: "reconnecting", attempt, messageId: null });
        if (!(await pause(wait[attempt - 1] ?? 0, loop.signal, t))) return null;
        const data = await fetchConversation(id);
        if (loop.signal.aborted) return null;
        if (!data) continue;
        const items = data.messages.items;
        const saved = items.some((m) => !known.has(m.id) && isOurs(m));
        if (recovery.current === loop) recovery.current = null;
        if (!saved) {
          const failure = networkError();
          dispatch({ type: "failed", error: failure });
          return failure;
        }
        dispatch({ type: "synced", messages: items, olderCursor: data.messages.next_cursor });
        const live = streamingReply(items);
        if (live && !known.has(live.id)) await recover(live.id);
        else dispatch({ type: "settled" });
        return null;
      }
      if (recovery.current === loop) recovery.current = null;
      // The server could not be asked: keep the text (nothing lost) and say we do not know.
      const failure: AppError = {
        ...networkError(),
        code: SEND_UNKNOWN,
        message: "Lockgate could not be reached, so it is not known whether your message was sent. Check the conversation before sending it again.",
      };
      dispatch({ type: "failed", error: failure });
      return failure;
    },
    [fetchConversation, recover],
  );

  /**
   * Send to `id` (an existing conversation, or one just created by the caller). Resolves to the
   * refusal when the server did not take the message (the caller keeps the text), else null.
   */
  const send = useCallback(
    async (id: string, content: string, model: string | null, attachmentIds: string[] = []): Promise<AppError | null> => {
      loadedFor.current = id;
      const shown = stateRef.current.messages;
      const known = new Set(shown.map((m) => m.id));
      // After the last message shown: the branch on screen, even if another tab switched.
      const parent = shown[shown.length - 1]?.id;
      dispatch({ type: "send", content, now: new Date().toISOString() });
      const result = await run((signal) =>
        api().POST("/api/v1/conversations/{conversation_id}/messages", {
          params: { path: { conversation_id: id } },
          body: { content, model, ...(parent ? { parent_id: parent } : {}), ...(attachmentIds.length ? { attachment_ids: attachmentIds } : {}) },
          parseAs: "stream",
          signal,
        }),
      );
      if (result !== "unknown") return result;
      return settleUnanswered(id, known, (m) => m.role === "user" && m.content === content);
    },
    [run, settleUnanswered],
  );

  const regenerate = useCallback(
    async (messageId: string): Promise<AppError | null> => {
      const id = loadedFor.current;
      const known = new Set(stateRef.current.messages.map((m) => m.id));
      const parent = stateRef.current.messages.find((m) => m.id === messageId)?.parent_id ?? null;
      dispatch({ type: "fork", at: messageId });
      const result = await run((signal) =>
        api().POST("/api/v1/messages/{message_id}/regenerate", {
          params: { path: { message_id: messageId } },
          body: {},
          parseAs: "stream",
          signal,
        }),
      );
      if (result !== "unknown") return result;
      if (!id) return null;
      return settleUnanswered(id, known, (m) => m.role === "assistant" && m.parent_id === parent);
    },
    [run, settleUnanswered],
  );

  /**
   * Send a new version of user message `messageId`: a new branch from there (the old one is
   * kept). Resolves to the refusal when the server did not take it (the caller keeps the text).
   */
  const edit = useCallback(
    async (messageId: string, content: string, model: string | null, attachmentIds: string[] = []): Promise<AppError | null> => {
      const id = loadedFor.current;
      const known = new Set(stateRef.current.messages.map((m) => m.id));
      dispatch({ type: "fork", at: messageId, content, now: new Date().toISOString() });
      const result = await run((signal) =>
        api().POST("/api/v1/messages/{message_id}/edit", {
          params: { path: { message_id: messageId } },
          body: { content, model, ...(attachmentIds.length ? { attachment_ids: attachmentIds } : {}) },
          parseAs: "stream",
          signal,
        }),
      );
      if (result !== "unknown") return result;
      if (!id) return null;
      return settleUnanswered(id, known, (m) => m.role === "user" && m.content === content);
    },
    [run, settleUnanswered],
  );

  /** Show the branch through `messageId` (a sibling offered by ‹ n/m ›); the server keeps it. */
  const switchTo = useCallback(async (messageId: string): Promise<AppError | null> => {
    const id = loadedFor.current;
    if (!id) return null;
    try {
      const { data, error, response } = await api().PUT("/api/v1/conversations/{conversation_id}/branch", {
        params: { path: { conversation_id: id } },
        body: { message_id: messageId },
      });
      if (loadedFor.current !== id) return null;
      if (!data) {
        const failure = fromResponse(response, error);
        dispatch({ type: "failed", error: failure });
        return failure;
      }
      dispatch({ type: "switched", messages: data.messages.items, olderCursor: data.messages.next_cursor });
      return null;
    } catch (e) {
      const failure = networkError(e);
      dispatch({ type: "failed", error: failure });
      return failure;
    }
  }, []);

  const stop = useCallback(() => {
    const id = streamingId.current;
    if (id) void requestStop(id);
    else stopWanted.current = true; // before the reply exists: stop it as soon as it does
  }, [requestStop]);

  /** Re-read the conversation (e.g. after a refused send, to show what was saved); never throws. */
  const reload = useCallback(async (): Promise<boolean> => {
    const id = loadedFor.current;
    if (!id) return false;
    const data = await fetchConversation(id);
    if (data && loadedFor.current === id) {
      dispatch({ type: "synced", messages: data.messages.items, olderCursor: data.messages.next_cursor });
      return true;
    }
    return false;
  }, [fetchConversation]);

  /** After "connection lost": try the reply again (or re-read the conversation). */
  const retry = useCallback(async () => {
    const connection = stateRef.current.connection;
    const id = connection.state === "lost" ? connection.messageId : null;
    if (id) await recover(id);
    else if (await reload()) {
      const live = streamingReply(stateRef.current.messages);
      if (live) await recover(live.id);
    }
  }, [recover, reload]);

  return {
    state,
    conversation,
    setConversation,
    send,
    edit,
    regenerate,
    switchTo,
    stop,
    loadOlder,
    reload,
    retry,
    dismissError: () => dispatch({ type: "dismiss" }),
    /** The caller created the conversation for the next send: do not reload it from the URL. */
    adopt: (created: Conversation) => {
      loadedFor.current = created.id;
      setConversation(created);
    },
    /** The adopted conversation was dropped (its first message was refused): forget it. */
    forget: () => {
      loadedFor.current = null;
      setConversation(null);
    },
  };
}
