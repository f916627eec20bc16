"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { useShortcuts } from "@/hooks/useShortcuts";
import { msg } from "@/lib/messages";
import { copyText } from "../CopyButton";

const NOTICE_MS = 2500;

/**
 * The chat page's shortcuts (lib/shortcuts.ts) wired to what they do there, the help overlay's
 * open state, and a short notice for the one shortcut that has no visible effect (copy).
 */
export function useChatShortcuts({
  newChat,
  stop,
  focusComposer,
  search,
  lastAnswer,
}: {
  newChat: () => void;
  /** Undefined when nothing is being written (Esc then keeps its usual meaning). */
  stop: (() => void) | undefined;
  focusComposer: () => void;
  search: () => void;
  lastAnswer: string | null;
}) {
  const [helpOpen, setHelpOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);

  const say = useCallback((text: string) => {
    setNotice(text);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setNotice(null), NOTICE_MS);
  }, []);

  const copyLast = useCallback(async () => {
    if (!lastAnswer) return say(msg.shortcuts.nothingToCopy);
    say((await copyText(lastAnswer)) ? msg.shortcuts.copiedLast : msg.shortcuts.copyFailed);
  }, [lastAnswer, say]);

  useShortcuts(
    {
      newChat,
      search,
      focusComposer,
      stop,
      copyLast: () => void copyLast(),
      help: () => setHelpOpen(true),
    },
    !helpOpen,
  );

  const closeHelp = useCallback(() => setHelpOpen(false), []);
  return { helpOpen, openHelp: () => setHelpOpen(true), closeHelp, notice };
}
