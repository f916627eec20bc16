"use client";

import { useId } from "react";
import type { MessageSearch } from "@/hooks/useMessageSearch";
import { type MessageHit, snippetParts } from "@/lib/messageSearch";
import { formatRelative } from "@/lib/format";
import { msg } from "@/lib/messages";
import { ErrorBanner } from "../ErrorBanner";

function Snippet({ hit }: { hit: MessageHit }) {
  return (
    <span className="line-clamp-3 block break-words text-xs text-fg" data-testid="hit-snippet">
      {snippetParts(hit.snippet, hit.highlights).map((part, i) =>
        part.marked ? (
          <mark key={i} className="rounded-sm bg-accent-soft px-0.5 font-semibold text-fg">
            {part.text}
          </mark>
        ) : (
          <span key={i}>{part.text}</span>
        ),
      )}
    </span>
  );
}

/** The messages matching the sidebar's query; a click opens the conversation at that message. */
export function MessageHits({ search, onOpen }: { search: MessageSearch; onOpen: (hit: MessageHit) => void }) {
  const heading = useId();
  const { hits, loading, error, meaning, cursor, loadMore } = search;
  return (
    <section aria-labelledby={heading} className="flex min-h-0 flex-col gap-1" data-testid="message-hits" aria-busy={loading}>
      <h2 id={heading} className="px-2 text-xs font-semibold uppercase tracking-wide text-muted">
        {msg.search.heading}
      </h2>
      {error ? <ErrorBanner error={error} /> : null}
      {meaning === "unavailable" ? (
        <p role="status" className="px-2 text-xs text-muted">
          {msg.search.meaningUnavailable}
        </p>
      ) : null}
      <ul className="-mx-1 space-y-0.5 px-1">
        {hits.map((hit) => (
          <li key={hit.message_id}>
            <button
              type="button"
              onClick={() => onOpen(hit)}
              aria-label={msg.search.hitLabel(hit.conversation_title)}
              className="block w-full rounded-md px-2 py-1.5 text-left hover:bg-surface-2"
              data-testid="message-hit"
              data-message-id={hit.message_id}
            >
              <span className="flex items-center gap-1 text-sm">
                <span className="min-w-0 flex-1 truncate font-medium">{hit.conversation_title || "Untitled"}</span>
                {hit.matched_by.includes("meaning") && !hit.matched_by.includes("words") ? (
                  <span className="shrink-0 rounded bg-surface-2 px-1 text-[11px] text-muted" data-testid="hit-by-meaning">
                    {msg.search.byMeaning}
                  </span>
                ) : null}
                {hit.archived ? <span className="shrink-0 rounded bg-surface-2 px-1 text-[11px] text-muted">{msg.search.archived}</span> : null}
              </span>
              <span className="block text-[11px] text-muted">
                {hit.role === "user" ? msg.search.you : msg.search.answer} · {formatRelative(hit.created_at)}
              </span>
              <Snippet hit={hit} />
            </button>
          </li>
        ))}
        {loading && hits.length === 0 ? (
          <li className="px-2 py-2 text-xs text-muted" role="status">
            {msg.search.searching}
          </li>
        ) : null}
        {!loading && !error && hits.length === 0 ? <li className="px-2 py-2 text-xs text-muted">{msg.search.none}</li> : null}
        {cursor ? (
          <li>
            <button type="button" onClick={() => void loadMore()} className="w-full rounded px-2 py-1.5 text-sm text-muted hover:bg-surface-2">
              {msg.search.more}
            </button>
          </li>
        ) : null}
      </ul>
    </section>
  );
}
