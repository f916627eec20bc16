"use client";

import Link from "next/link";
import { type KeyboardEvent, useEffect, useId, useMemo, useState } from "react";
import { matchPrompts, type Prompt } from "@/hooks/usePrompts";
import { msg } from "@/lib/messages";

export interface PromptMenuControl {
  /** Ids for the composer's aria-controls / aria-activedescendant. */
  listId: string;
  activeId: string | undefined;
  /** The composer's keys go here first; true when the menu used the key. */
  onKeyDown: (e: KeyboardEvent<HTMLTextAreaElement>) => boolean;
}

/**
 * The `/` menu: typing `/` in an empty composer lists the saved prompts, filtered by what follows
 * the slash; ↑/↓ choose, Enter or Tab inserts, Esc closes (and leaves the text as typed).
 * The composer keeps the focus throughout (aria-activedescendant points at the chosen prompt).
 */
export function usePromptMenu(
  query: string | null,
  prompts: Prompt[],
  onPick: (prompt: Prompt) => void,
): { open: boolean; control: PromptMenuControl; matches: Prompt[]; active: number; setActive: (i: number) => void; close: () => void } {
  const listId = useId();
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const matches = useMemo(() => (query === null ? [] : matchPrompts(prompts, query)), [prompts, query]);
  const open = query !== null && !dismissed;

  useEffect(() => setActive(0), [query]);
  useEffect(() => {
    if (query === null) setDismissed(false);
  }, [query]);

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (!open) return false;
    if (e.key === "Escape") {
      e.preventDefault();
      setDismissed(true);
      return true;
    }
    if (matches.length === 0) return false;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((i) => (i + step + matches.length) % matches.length);
      return true;
    }
    if ((e.key === "Enter" && !e.shiftKey) || e.key === "Tab") {
      const chosen = matches[Math.min(active, matches.length - 1)];
      if (!chosen) return false;
      e.preventDefault();
      onPick(chosen);
      return true;
    }
    return false;
  };

  const activeId = open && matches.length ? `${listId}-${Math.min(active, matches.length - 1)}` : undefined;
  return { open, control: { listId, activeId, onKeyDown }, matches, active, setActive, close: () => setDismissed(true) };
}

export function PromptMenu({
  listId,
  matches,
  active,
  loading,
  hasAny,
  onPick,
  onHover,
}: {
  listId: string;
  matches: Prompt[];
  active: number;
  loading: boolean;
  hasAny: boolean;
  onPick: (p: Prompt) => void;
  onHover: (i: number) => void;
}) {
  return (
    <div className="rounded-xl border border-line bg-bg shadow-lg" data-testid="prompt-menu">
      <ul id={listId} role="listbox" aria-label={msg.prompts.menuLabel} className="max-h-64 overflow-y-auto p-1">
        {matches.map((p, i) => (
          <li
            key={p.id}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            onMouseDown={(e) => {
              e.preventDefault(); // keep the focus in the composer
              onPick(p);
            }}
            onMouseEnter={() => onHover(i)}
            className={`cursor-pointer rounded-lg px-3 py-1.5 ${i === active ? "bg-accent-soft" : ""}`}
          >
            <span className="block truncate text-sm font-medium">{p.title}</span>
            <span className="block truncate text-xs text-muted">{p.content}</span>
          </li>
        ))}
      </ul>
      <div className="flex flex-wrap items-center justify-between gap-2 border-t border-line px-3 py-1.5 text-xs text-muted">
        <span role="status">
          {loading ? "…" : matches.length ? msg.prompts.menuHint : hasAny ? msg.prompts.menuEmpty : msg.prompts.menuNone}
        </span>
        <Link href="/prompts/" className="text-fg underline">
          {msg.prompts.menuManage}
        </Link>
      </div>
    </div>
  );
}
