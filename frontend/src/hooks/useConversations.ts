"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { Conversation } from "@/api/types";

export interface Conversations {
  items: Conversation[];
  loading: boolean;
  error: AppError | null;
  query: string;
  setQuery: (q: string) => void;
  hasMore: boolean;
  loadMore: () => Promise<void>;
  refresh: () => Promise<void>;
  rename: (id: string, title: string) => Promise<AppError | null>;
  remove: (id: string) => Promise<AppError | null>;
  /** A conversation got new activity (or was created): move it to the top. */
  touch: (conversation: Pick<Conversation, "id"> & Partial<Conversation>) => void;
}

const SEARCH_DELAY_MS = 250;

export function useConversations(initialQuery = ""): Conversations {
  const [items, setItems] = useState<Conversation[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<AppError | null>(null);
  const [query, setQuery] = useState(initialQuery);
  const [debounced, setDebounced] = useState(initialQuery.trim());
  const generation = useRef(0);

  useEffect(() => {
    const t = setTimeout(() => setDebounced(query.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [query]);

  const fetchPage = useCallback(async (q: string, after: string | null, append: boolean) => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const { data, error: err, response } = await api().GET("/api/v1/conversations", {
        params: { query: { q: q || undefined, cursor: after ?? undefined, limit: 50 } },
      });
      if (mine !== generation.current) return;
      if (data) {
        setItems((prev) => (append ? [...prev, ...data.items.filter((c) => !prev.some((p) => p.id === c.id))] : data.items));
        setCursor(data.next_cursor);
        setError(null);
      } else {
        setError(fromResponse(response, err));
      }
    } catch (e) {
      if (mine === generation.current) setError(networkError(e));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void fetchPage(debounced, null, false);
  }, [debounced, fetchPage]);

  const refresh = useCallback(() => fetchPage(debounced, null, false), [debounced, fetchPage]);
  const loadMore = useCallback(
    async () => {
      if (cursor) await fetchPage(debounced, cursor, true);
    },
    [cursor, debounced, fetchPage],
  );

  const rename = useCallback(async (id: string, title: string) => {
    try {
      const { data, error: err, response } = await api().PATCH("/api/v1/conversations/{conversation_id}", {
        params: { path: { conversation_id: id } },
        body: { title },
      });
      if (!data) return fromResponse(response, err);
      setItems((prev) => prev.map((c) => (c.id === id ? data : c)));
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  const remove = useCallback(async (id: string) => {
    try {
      const { error: err, response } = await api().DELETE("/api/v1/conversations/{conversation_id}", {
        params: { path: { conversation_id: id } },
      });
      if (!response.ok) return fromResponse(response, err);
      setItems((prev) => prev.filter((c) => c.id !== id));
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  const touch = useCallback((conversation: Pick<Conversation, "id"> & Partial<Conversation>) => {
    setItems((prev) => {
      const existing = prev.find((c) => c.id === conversation.id);
      const now = new Date().toISOString();
      const merged: Conversation = {
        title: "New chat",
        system_prompt: "",
        created_at: now,
        ...existing,
        ...conversation,
        updated_at: now,
      } as Conversation;
      return [merged, ...prev.filter((c) => c.id !== conversation.id)];
    });
  }, []);

  return { items, loading, error, query, setQuery, hasMore: cursor !== null, loadMore, refresh, rename, remove, touch };
}
