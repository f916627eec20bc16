"use client";

import { useEffect, useRef, useState } from "react";
import type { AppError } from "@/api/errors";
import type { Message } from "@/api/types";

/**
 * The message a search hit pointed at (`?m=` in the chat URL): once its conversation is loaded,
 * the branch through it is shown if it is not the current one (`switchTo`, once), then it is
 * scrolled to the middle of the view and highlighted. Returns the highlighted message id.
 */
export function useSearchTarget({
  conversationId,
  target,
  loaded,
  busy,
  messages,
  switchTo,
  beforeScroll,
}: {
  conversationId: string | null;
  target: string | null;
  loaded: boolean;
  busy: boolean;
  messages: Message[];
  switchTo: (messageId: string) => Promise<AppError | null>;
  beforeScroll: () => void;
}): string | null {
  const [highlighted, setHighlighted] = useState<string | null>(null);
  const switched = useRef<string | null>(null);
  const shown = useRef<string | null>(null);
  const before = useRef(beforeScroll);
  before.current = beforeScroll;

  useEffect(() => {
    if (!target || !conversationId) setHighlighted(null);
  }, [target, conversationId]);

  useEffect(() => {
    if (!target || !conversationId || !loaded) return;
    const key = `${conversationId}:${target}`;
    if (messages.some((m) => m.id === target)) {
      if (shown.current === key) return; // scrolled once; the reader may scroll away
      shown.current = key;
      setHighlighted(target);
      before.current();
      requestAnimationFrame(() => {
        const el = document.querySelector(`[data-message-id="${CSS.escape(target)}"]`);
        el?.scrollIntoView({ block: "center" });
      });
      return;
    }
    // Not on the branch shown: show the one through it (once; a reply being written waits).
    if (busy || switched.current === key) return;
    switched.current = key;
    void switchTo(target);
  }, [target, conversationId, loaded, busy, messages, switchTo]);

  return highlighted;
}
