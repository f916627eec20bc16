"use client";

import { useEffect, useId, useRef, useState } from "react";
import type { AppError } from "@/api/errors";
import type { Conversation } from "@/api/types";
import type { Conversations } from "@/hooks/useConversations";
import { formatRelative } from "@/lib/format";
import { ErrorBanner } from "../ErrorBanner";

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

function Row({
  conversation,
  active,
  onOpen,
  conversations,
  onDeleted,
}: {
  conversation: Conversation;
  active: boolean;
  onOpen: (id: string) => void;
  conversations: Conversations;
  onDeleted: (id: string) => void;
}) {
  const [mode, setMode] = useState<"view" | "rename" | "confirm">("view");
  const [error, setError] = useState<AppError | null>(null);
  if (mode === "rename") {
    return (
      <li>
        <RenameForm conversation={conversation} rename={conversations.rename} onDone={() => setMode("view")} />
      </li>
    );
  }
  return (
    <li className={`group rounded-md ${active ? "bg-accent-soft" : "hover:bg-surface-2"}`}>
      <div className="flex items-center">
        <button
          type="button"
          onClick={() => onOpen(conversation.id)}
          aria-current={active ? "true" : undefined}
          className="min-w-0 flex-1 px-2 py-1.5 text-left"
        >
          <span className="block truncate text-sm">{conversation.title}</span>
          <span className="block text-xs text-muted">{formatRelative(conversation.updated_at)}</span>
        </button>
        {mode === "view" ? (
          <div className="flex shrink-0 gap-0.5 pr-1">
            <button
              type="button"
              onClick={() => setMode("rename")}
              className="rounded px-1.5 py-1 text-xs text-muted hover:bg-surface hover:text-fg"
              aria-label={`Rename “${conversation.title}”`}
            >
              Rename
            </button>
            <button
              type="button"
              onClick={() => setMode("confirm")}
              className="rounded px-1.5 py-1 text-xs text-muted hover:bg-surface hover:text-danger"
              aria-label={`Delete “${conversation.title}”`}
            >
              Delete
            </button>
          </div>
        ) : null}
      </div>
      {mode === "confirm" ? (
        <div className="flex items-center gap-1 px-2 pb-2 text-xs" role="group" aria-label="Confirm delete">
          <span className="text-muted">Delete this chat?</span>
          <button
            type="button"
            autoFocus
            className="rounded bg-danger px-2 py-0.5 font-medium text-bg"
            onClick={async () => {
              const failure = await conversations.remove(conversation.id);
              if (failure) setError(failure);
              else onDeleted(conversation.id);
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
  activeId,
  onOpen,
  onNew,
  onDeleted,
}: {
  conversations: Conversations;
  activeId: string | null;
  onOpen: (id: string) => void;
  onNew: () => void;
  onDeleted: (id: string) => void;
}) {
  const searchId = useId();
  const { items, loading, error, query, setQuery, hasMore, loadMore } = conversations;
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
          Search conversations
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
      {error ? <ErrorBanner error={error} /> : null}
      <ul className="-mx-1 flex-1 space-y-0.5 overflow-y-auto px-1" aria-busy={loading}>
        {items.map((c) => (
          <Row
            key={c.id}
            conversation={c}
            active={c.id === activeId}
            onOpen={onOpen}
            conversations={conversations}
            onDeleted={onDeleted}
          />
        ))}
        {!loading && items.length === 0 ? (
          <li className="px-2 py-3 text-sm text-muted">{query.trim() ? "No conversation matches." : "No conversations yet."}</li>
        ) : null}
        {hasMore ? (
          <li>
            <button type="button" onClick={() => void loadMore()} className="w-full rounded px-2 py-1.5 text-sm text-muted hover:bg-surface-2">
              Load more
            </button>
          </li>
        ) : null}
      </ul>
    </nav>
  );
}
