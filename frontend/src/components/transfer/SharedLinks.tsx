"use client";

import { useCallback, useEffect, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { Share } from "@/api/types";
import { formatDateTime } from "@/lib/format";
import { ErrorBanner } from "../ErrorBanner";

/** Settings → My shared links: every link still open, newest first, each revocable. */
export function SharedLinks() {
  const [items, setItems] = useState<Share[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const load = useCallback(async (after: string | null) => {
    try {
      const { data, error: err, response } = await api().GET("/api/v1/shares", {
        params: { query: after ? { cursor: after } : {} },
      });
      if (data) {
        setItems((prev) => (after ? [...(prev ?? []), ...data.items] : data.items));
        setCursor(data.next_cursor);
      } else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }, []);

  useEffect(() => {
    void load(null);
  }, [load]);

  async function revoke(share: Share) {
    try {
      const { error: err, response } = await api().DELETE("/api/v1/shares/{share_id}", {
        params: { path: { share_id: share.id } },
      });
      if (response.ok) setItems((prev) => prev?.filter((s) => s.id !== share.id) ?? null);
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }

  return (
    <div>
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      {items === null ? <p className="text-muted">Loading…</p> : null}
      {items?.length === 0 ? <p className="text-sm text-muted">You have not shared any conversation.</p> : null}
      {items?.length ? (
        <ul className="divide-y divide-line rounded-xl border border-line" data-testid="shared-links">
          {items.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-3 p-3">
              <div className="min-w-0 flex-1">
                <p className="truncate font-medium">{s.title || "Untitled conversation"}</p>
                <p className="text-xs text-muted">
                  shared {formatDateTime(s.created_at)} · {s.message_count} message{s.message_count === 1 ? "" : "s"}
                </p>
              </div>
              <button
                type="button"
                onClick={() => void revoke(s)}
                aria-label={`Revoke the link to “${s.title || "Untitled conversation"}”`}
                className="rounded-md border border-line px-3 py-1 text-sm hover:bg-surface-2"
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {cursor ? (
        <button type="button" onClick={() => void load(cursor)} className="mt-2 rounded px-2 py-1.5 text-sm text-muted hover:bg-surface-2">
          Load more
        </button>
      ) : null}
    </div>
  );
}
