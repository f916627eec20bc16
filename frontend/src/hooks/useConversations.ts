"use client";

import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { components } from "@/api/schema";
import type { Conversation } from "@/api/types";
import { ALL, type View, initialList, listReducer } from "@/lib/conversationList";

export type ConversationPatch = components["schemas"]["ConversationUpdate"];

export interface Conversations {
  items: Conversation[];
  loading: boolean;
  error: AppError | null;
  query: string;
  setQuery: (q: string) => void;
  /** All chats, one folder, or the archive. */
  view: View;
  setView: (view: View) => void;
  hasMore: boolean;
  loadMore: () => Promise<void>;
  refresh: () => Promise<void>;
  rename: (id: string, title: string) => Promise<AppError | null>;
  /** Pin, move to a folder, archive or restore, set parameters: PATCH, then re-placed locally. */
  update: (id: string, patch: ConversationPatch) => Promise<AppError | null>;
  remove: (id: string) => Promise<AppError | null>;
  /** A conversation got new activity (or was created): move it to the top. */
  touch: (conversation: Pick<Conversation, "id"> & Partial<Conversation>) => void;
  /** The server's copy of a conversation changed elsewhere (e.g. a preset was applied). */
  replace: (conversation: Conversation) => void;
}

const SEARCH_DELAY_MS = 250;

function viewQuery(view: View): { folder_id?: string; archived?: boolean } {
  if (view.kind === "folder") return { folder_id: view.id };
  if (view.kind === "archived") return { archived: true };
  return {};
}

export function useConversations(initialQuery = ""): Conversations {
  const [state, dispatch] = useReducer(listReducer, initialList);
  const [error, setError] = useState<AppError | null>(null);
  const [query, setQuery] = useState(initialQuery);
  const [debounced, setDebounced] = useState(initialQuery.trim());
  const generation = useRef(0);
  const { view, cursor } = state;

  useEffect(() => {
    const t = setTimeout(() => setDebounced(query.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [query]);

  const fetchPage = useCallback(async (q: string, shown: View, after: string | null, append: boolean) => {
    const mine = ++generation.current;
    dispatch({ type: "fetching", generation: mine });
    try {
      const { data, error: err, response } = await api().GET("/api/v1/conversations", {
        params: { query: { q: q || undefined, cursor: after ?? undefined, limit: 50, ...viewQuery(shown) } },
      });
      if (data) {
        dispatch({ type: "page", generation: mine, items: data.items, cursor: data.next_cursor, append });
        if (mine === generation.current) setError(null);
      } else {
        dispatch({ type: "failed", generation: mine });
        if (mine === generation.current) setError(fromResponse(response, err));
      }
    } catch (e) {
      dispatch({ type: "failed", generation: mine });
      if (mine === generation.current) setError(networkError(e));
    }
  }, []);

  useEffect(() => {
    void fetchPage(debounced, view, null, false);
  }, [debounced, view, fetchPage]);

  const refresh = useCallback(() => fetchPage(debounced, view, null, false), [debounced, view, fetchPage]);
  const loadMore = useCallback(
    async () => {
      if (cursor) await fetchPage(debounced, view, cursor, true);
    },
    [cursor, debounced, view, fetchPage],
  );

  const update = useCallback(async (id: string, patch: ConversationPatch) => {
    try {
      const { data, error: err, response } = await api().PATCH("/api/v1/conversations/{conversation_id}", {
        params: { path: { conversation_id: id } },
        body: patch,
      });
      if (!data) return fromResponse(response, err);
      dispatch({ type: "updated", conversation: data });
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  const rename = useCallback((id: string, title: string) => update(id, { title }), [update]);

  const remove = useCallback(async (id: string) => {
    try {
      const { error: err, response } = await api().DELETE("/api/v1/conversations/{conversation_id}", {
        params: { path: { conversation_id: id } },
      });
      if (!response.ok) return fromResponse(response, err);
      dispatch({ type: "removed", id });
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  const touch = useCallback((conversation: Pick<Conversation, "id"> & Partial<Conversation>) => {
    dispatch({ type: "touched", conversation, now: new Date().toISOString() });
  }, []);

  const replace = useCallback((conversation: Conversation) => dispatch({ type: "updated", conversation }), []);

  const setView = useCallback((next: View) => dispatch({ type: "view", view: next }), []);

  return {
    items: state.items,
    loading: state.loading,
    error,
    query,
    setQuery,
    view,
    setView,
    hasMore: cursor !== null,
    loadMore,
    refresh,
    rename,
    update,
    remove,
    touch,
    replace,
  };
}

export { ALL };
