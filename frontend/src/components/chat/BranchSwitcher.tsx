"use client";

import type { Message } from "@/api/types";
import { siblingsOf } from "@/lib/chatState";

/**
 * ‹ 2/3 › between a message's siblings: the versions of an edited user message, or the answers
 * to one question. Switching asks the server for the branch through the sibling (the server
 * keeps it as the conversation's current branch). Nothing is shown for a message without
 * siblings.
 */
export function BranchSwitcher({
  message,
  kind,
  disabled,
  onSwitch,
}: {
  message: Message;
  /** "answer" (Previous answer / Next answer) or "version" (of a user message). */
  kind: "answer" | "version";
  /** While an answer is being written, branches stay as they are. */
  disabled: boolean;
  onSwitch: (messageId: string) => void;
}) {
  const { ids, index } = siblingsOf(message);
  if (ids.length < 2) return null;
  const go = (to: number) => {
    const id = ids[to];
    if (id) onSwitch(id);
  };
  const plural = kind === "answer" ? "Answers" : "Versions";
  return (
    <div className="flex items-center gap-1 text-xs" role="group" aria-label={`${plural}: ${index + 1} of ${ids.length}`}>
      <button
        type="button"
        className="rounded px-1.5 py-0.5 text-muted hover:bg-surface-2 disabled:opacity-40"
        disabled={disabled || index <= 0}
        onClick={() => go(index - 1)}
        aria-label={`Previous ${kind}`}
      >
        ‹
      </button>
      <span className="text-muted" data-testid={`${kind}-index`}>
        {index + 1} / {ids.length}
      </span>
      <button
        type="button"
        className="rounded px-1.5 py-0.5 text-muted hover:bg-surface-2 disabled:opacity-40"
        disabled={disabled || index >= ids.length - 1}
        onClick={() => go(index + 1)}
        aria-label={`Next ${kind}`}
      >
        ›
      </button>
    </div>
  );
}
