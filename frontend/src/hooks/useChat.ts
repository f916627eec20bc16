"use client";

import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { api } from "@/api/client";
import { type ChatEvent, parseChatEvent } from "@/api/chatEvents";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import { readSSE } from "@/api/sse";
import type { Conversation } from "@/api/types";
import { chatReducer, initialChat, streamingReply } from "@/lib/chatState";

type StreamStart = (signal: AbortSignal) => Promise<{
  data?: ReadableStream<Uint8Array> | null;
  error?: unknown;
  response: Response;
}>;

export interface ChatCallbacks {
  /** The stream named its conversation (title taken from the first message). */
  onConversation?: (id: string, title: string | null) => void;
}

/**
 * One conversation's messages and its live reply. A reply outlives the page: leaving or
 * reloading only stops *reading*; a reload re-attaches to a reply still `streaming`.
 */
export function useChat(conversationId: string | null, callbacks: ChatCallbacks = {}) {
  const [state, dispatch] = useReducer(chatReducer, initialChat);
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const reader = useRef<AbortController | null>(null);
  const loadedFor = useRef<string | null>(null);
  const stopWanted = useRef(false);
  const streamingId = useRef<string | null>(null);
  const resync = useRef<() => void>(() => undefined);
  const cb = useRef(callbacks);
  cb.current = callbacks;
  streamingId.current = state.streamingId;

  const stopReading = useCallback(() => {
    reader.current?.abort();
    reader.current = null;
  }, []);

  const requestStop = useCallback(async (id: string) => {
    try {
      await api().POST("/api/v1/messages/{message_id}/stop", { params: { path: { message_id: id } } });
    } catch {
      // the stream reports the final state; a failed stop leaves the reply running
    }
  }, []);

  const run = useCallback(
    async (start: StreamStart): Promise<AppError | null> => {
      stopReading();
      const controller = new AbortController();
      reader.current = controller;
      stopWanted.current = false;
      try {
        const { data, error, response } = await start(controller.signal);
        if (!response.ok || !data) {
          const failure = fromResponse(response, error);
          dispatch({ type: "failed", error: failure });
          return failure;
        }
        let finished = false;
        await readSSE(data, (raw) => {
          if (controller.signal.aborted) return;
          const event: ChatEvent | null = parseChatEvent(raw);
          if (!event) return;
          if (event.type === "done" || event.type === "error") finished = true;
          if (event.type === "message") {
            cb.current.onConversation?.(event.conversationId, event.conversationTitle);
            if (stopWanted.current) void requestStop(event.assistantMessage.id);
          }
          dispatch({ type: "event", event });
        });
        if (!finished && !controller.signal.aborted) {
          // Cut off without done/error (network, server restart): read what the server saved.
          dispatch({ type: "ended" });
          resync.current();
        }
        return null;
      } catch (e) {
        if (controller.signal.aborted) return null;
        const failure = networkError(e);
        dispatch({ type: "failed", error: failure });
        return failure;
      } finally {
        if (reader.current === controller) reader.current = null;
      }
    },
    [requestStop, stopReading],
  );

  const attach = useCallback(
    (messageId: string) => {
      dispatch({ type: "attach" });
      return run((signal) =>
        api().GET("/api/v1/messages/{message_id}/stream", {
          params: { path: { message_id: messageId } },
          parseAs: "stream",
          signal,
        }),
      );
    },
    [run],
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
    const { data } = await api().GET("/api/v1/conversations/{conversation_id}/messages", {
      params: { path: { conversation_id: id }, query: { cursor: state.olderCursor } },
    });
    if (data && loadedFor.current === id) {
      dispatch({ type: "older", messages: data.items, olderCursor: data.next_cursor });
    }
  }, [state.olderCursor]);

  /** Send to `id` (an existing conversation, or one just created by the caller). */
  const send = useCallback(
    (id: string, content: string, model: string | null) => {
      loadedFor.current = id;
      dispatch({ type: "send", content, now: new Date().toISOString() });
      return run((signal) =>
        api().POST("/api/v1/conversations/{conversation_id}/messages", {
          params: { path: { conversation_id: id } },
          body: { content, model },
          parseAs: "stream",
          signal,
        }),
      );
    },
    [run],
  );

  const regenerate = useCallback(
    (messageId: string) => {
      dispatch({ type: "regenerate" });
      return run((signal) =>
        api().POST("/api/v1/messages/{message_id}/regenerate", {
          params: { path: { message_id: messageId } },
          body: {},
          parseAs: "stream",
          signal,
        }),
      );
    },
    [run],
  );

  const stop = useCallback(() => {
    const id = streamingId.current;
    if (id) void requestStop(id);
    else stopWanted.current = true; // before the reply exists: stop it as soon as it does
  }, [requestStop]);

  /** Re-read the conversation (e.g. after a refused send, to show what was saved). */
  const reload = useCallback(async () => {
    const id = loadedFor.current;
    if (!id) return;
    const { data } = await api().GET("/api/v1/conversations/{conversation_id}", {
      params: { path: { conversation_id: id } },
    });
    if (data && loadedFor.current === id) {
      dispatch({ type: "synced", messages: data.messages.items, olderCursor: data.messages.next_cursor });
    }
  }, []);

  resync.current = () => void reload();

  return {
    state,
    conversation,
    setConversation,
    send,
    regenerate,
    stop,
    loadOlder,
    reload,
    dismissError: () => dispatch({ type: "dismiss" }),
    select: (parentId: string, messageId: string) => dispatch({ type: "select", parentId, messageId }),
    /** The caller created the conversation for the next send: do not reload it from the URL. */
    adopt: (created: Conversation) => {
      loadedFor.current = created.id;
      setConversation(created);
    },
  };
}
