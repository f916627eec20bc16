"use client";

import { type RefObject, useEffect } from "react";

/**
 * A modal dialog's keyboard contract: focus moves to its close button when it opens and back to
 * whatever had it when it closes; Escape closes it. With `trapTab` (a dialog whose only control is
 * that button), Tab keeps the focus there.
 */
export function useDialogFocus(close: RefObject<HTMLButtonElement | null>, onClose: () => void, trapTab = false) {
  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        onClose();
      } else if (trapTab && e.key === "Tab") {
        e.preventDefault();
        close.current?.focus();
      }
    };
    document.addEventListener("keydown", onKey, true);
    return () => {
      document.removeEventListener("keydown", onKey, true);
      previous?.focus();
    };
  }, [close, onClose, trapTab]);
}
