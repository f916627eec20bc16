"use client";

import { useCallback, useEffect, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { components } from "@/api/schema";

export type Prompt = components["schemas"]["PromptOut"];
export type PromptInput = { title: string; content: string };

export interface Prompts {
  items: Prompt[];
  limit: number | null;
  loading: boolean;
  error: AppError | null;
  reload: () => Promise<void>;
  create: (input: PromptInput) => Promise<AppError | null>;
  update: (id: string, input: Partial<PromptInput>) => Promise<AppError | null>;
  remove: (id: string) => Promise<AppError | null>;
}

const byTitle = (a: Prompt, b: Prompt) => a.title.localeCompare(b.title, undefined, { sensitivity: "base" });

/** The signed-in user's prompt library (/api/v1/prompts). `enabled: false` defers the first load. */
export function usePrompts(enabled = true): Prompts {
  const [items, setItems] = useState<Prompt[]>([]);
  const [limit, setLimit] = useState<number | null>(null);
  const [loading, setLoading] = useState(enabled);
  const [error, setError] = useState<AppError | null>(null);

  const reload = useCallback(async () => {
    setLoading(true);
    try {
      const { data, error: err, response } = await api().GET("/api/v1/prompts");
      if (data) {
        setItems(data.items);
        setLimit(data.limit);
        setError(null);
      } else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    if (enabled) void reload();
  }, [enabled, reload]);

  const create = useCallback(async (input: PromptInput) => {
    try {
      const { data, error: err, response } = await api().POST("/api/v1/prompts", { body: input });
      if (!data) return fromResponse(response, err);
      setItems((list) => [...list, data].sort(byTitle));
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  const update = useCallback(async (id: string, input: Partial<PromptInput>) => {
    try {
      const { data, error: err, response } = await api().PATCH("/api/v1/prompts/{prompt_id}", {
        params: { path: { prompt_id: id } },
        body: input,
      });
      if (!data) return fromResponse(response, err);
      setItems((list) => list.map((p) => (p.id === id ? data : p)).sort(byTitle));
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  const remove = useCallback(async (id: string) => {
    try {
      const { error: err, response } = await api().DELETE("/api/v1/prompts/{prompt_id}", {
        params: { path: { prompt_id: id } },
      });
      if (!response.ok && response.status !== 404) return fromResponse(response, err);
      setItems((list) => list.filter((p) => p.id !== id));
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  return { items, limit, loading, error, reload, create, update, remove };
}

/** Prompts whose title (first) or text contains `query`, case-insensitively. */
export function matchPrompts(items: Prompt[], query: string): Prompt[] {
  const q = query.trim().toLocaleLowerCase();
  if (!q) return items;
  const inTitle = items.filter((p) => p.title.toLocaleLowerCase().includes(q));
  const inText = items.filter((p) => !inTitle.includes(p) && p.content.toLocaleLowerCase().includes(q));
  return [...inTitle, ...inText];
}

/** What follows the `/` when the composer holds only a slash command, else null. */
export function slashQuery(draft: string): string | null {
  const m = /^\/([^\n]{0,100})$/.exec(draft);
  return m ? (m[1] ?? "") : null;
}
