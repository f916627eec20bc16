"use client";

import { useEffect, useRef } from "react";
import { isTyping, type ShortcutAction, shortcutFor } from "@/lib/shortcuts";

export type ShortcutHandlers = Partial<Record<ShortcutAction, () => void>>;

/**
 * Runs the chat page's shortcuts (lib/shortcuts.ts) from anywhere on the page. A key another
 * handler already took (defaultPrevented: the `/` menu's Esc, a dialog's Esc) is left alone, as
 * is a shortcut with no handler now (Esc with nothing to stop), so the browser keeps its own.
 */
export function useShortcuts(handlers: ShortcutHandlers, enabled = true): void {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const action = shortcutFor(e, isTyping(e.target));
      const run = action ? current.current[action] : undefined;
      if (!run) return;
      e.preventDefault();
      run();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [enabled]);
}
