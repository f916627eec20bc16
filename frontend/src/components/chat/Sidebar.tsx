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

/**
 * A conversation's actions behind one small button, so the title keeps the row's width. A menu
 * button in the ARIA pattern: Enter/Space/ArrowDown open it on the first item, arrows move,
 * Escape closes it and returns focus, Tab or a click elsewhere closes it.
 */
function RowMenu({ title, onRename, onDelete }: { title: string; onRename: () => void; onDelete: () => void }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const menuId = useId();
  const items = () => Array.from(menu.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? []);

  useEffect(() => {
    if (!open) return;
    items()[0]?.focus();
    const onDown = (e: PointerEvent) => {
      const target = e.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("pointerdown", onDown);
    return () => document.removeEventListener("pointerdown", onDown);
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const choose = (action: () => void) => {
    setOpen(false);
    action();
  };

  return (
    <div className="relative shrink-0 pr-1">
      <button
        ref={button}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        aria-label={`Actions for “${title}”`}
        title="Rename or delete"
        onClick={() => setOpen((v) => !v)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            setOpen(true);
          }
        }}
        className="flex h-7 w-7 items-center justify-center rounded text-muted hover:bg-surface hover:text-fg"
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open ? (
        <div
          ref={menu}
          id={menuId}
          role="menu"
          aria-label={`Actions for “${title}”`}
          className="absolute right-1 top-8 z-30 min-w-32 rounded-md border border-line bg-bg py-1 shadow-lg"
          onKeyDown={(e) => {
            const list = items();
            const at = list.indexOf(document.activeElement as HTMLButtonElement);
            if (e.key === "Escape") {
              e.preventDefault();
              e.stopPropagation();
              close(true);
            } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              e.preventDefault();
              const step = e.key === "ArrowDown" ? 1 : -1;
              list[(at + step + list.length) % list.length]?.focus();
            } else if (e.key === "Home" || e.key === "End") {
              e.preventDefault();
              (e.key === "Home" ? list[0] : list[list.length - 1])?.focus();
            } else if (e.key === "Tab") {
              close(false);
            }
          }}
        >
          <button type="button" role="menuitem" tabIndex={-1} onClick={() => choose(onRename)} className="block w-full px-3 py-1.5 text-left text-sm hover:bg-surface-2 focus:bg-surface-2">
            Rename
          </button>
          <button type="button" role="menuitem" tabIndex={-1} onClick={() => choose(onDelete)} className="block w-full px-3 py-1.5 text-left text-sm text-danger hover:bg-surface-2 focus:bg-surface-2">
            Delete
          </button>
        </div>
      ) : null}
    </div>
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
          title={conversation.title}
          className="min-w-0 flex-1 px-2 py-1.5 text-left"
        >
          <span className="block truncate text-sm" data-testid="conversation-title">
            {conversation.title}
          </span>
          <span className="block text-xs text-muted">{formatRelative(conversation.updated_at)}</span>
        </button>
        {mode === "view" ? <RowMenu title={conversation.title} onRename={() => setMode("rename")} onDelete={() => setMode("confirm")} /> : null}
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
