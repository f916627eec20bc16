"use client";

import { forwardRef, useId, type KeyboardEvent } from "react";
import { lengthMessage, lengthState, MESSAGE_MAX_CHARS } from "@/lib/limits";
import type { PromptMenuControl } from "./PromptMenu";

/** Enter sends, Shift+Enter makes a new line, Esc stops the answer being written. */
export function composerKeyAction(event: Pick<KeyboardEvent, "key" | "shiftKey" | "nativeEvent">): "send" | "stop" | null {
  const composing = (event.nativeEvent as { isComposing?: boolean } | undefined)?.isComposing === true;
  if (event.key === "Enter" && !event.shiftKey && !composing) return "send";
  if (event.key === "Escape") return "stop";
  return null;
}

export const Composer = forwardRef<
  HTMLTextAreaElement,
  {
    value: string;
    onChange: (v: string) => void;
    onSend: () => void;
    onStop: () => void;
    busy: boolean;
    disabled?: boolean;
    maxChars?: number;
    /** The `/` prompt menu, when open: it sees keys first and is announced as this box's list. */
    menu?: PromptMenuControl | null;
    /** Something else is attached (images): the message may be sent without text. */
    withoutText?: boolean;
  }
>(function Composer({ value, onChange, onSend, onStop, busy, disabled = false, maxChars = MESSAGE_MAX_CHARS, menu = null, withoutText = false }, ref) {
  const id = useId();
  const length = lengthState(value, maxChars);
  const canSend = !busy && !disabled && !length.over && (value.trim() !== "" || withoutText);
  return (
    <form
      className="flex flex-wrap items-end gap-2 rounded-2xl border border-field bg-bg p-2 focus-within:border-accent"
      onSubmit={(e) => {
        e.preventDefault();
        if (canSend) onSend();
      }}
    >
      <label htmlFor={id} className="sr-only">
        Message
      </label>
      <textarea
        id={id}
        ref={ref}
        rows={1}
        value={value}
        disabled={disabled}
        placeholder="Message Lockgate…"
        aria-describedby={length.near ? `${id}-hint ${id}-count` : `${id}-hint`}
        aria-invalid={length.over || undefined}
        aria-autocomplete={menu ? "list" : undefined}
        aria-controls={menu ? menu.listId : undefined}
        aria-activedescendant={menu?.activeId}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (menu?.onKeyDown(e)) return;
          const action = composerKeyAction(e);
          if (action === "send") {
            e.preventDefault();
            if (canSend) onSend();
          } else if (action === "stop" && busy) {
            e.preventDefault();
            onStop();
          }
        }}
        className="max-h-60 min-h-10 flex-1 resize-none bg-transparent px-2 py-2 outline-none [field-sizing:content] focus-visible:outline-none"
      />
      <span id={`${id}-hint`} className="sr-only">
        Enter sends, Shift+Enter adds a line, Escape stops the answer.
      </span>
      {length.near ? (
        <span
          id={`${id}-count`}
          role="status"
          data-testid="char-count"
          className={`self-center whitespace-nowrap text-xs ${length.over ? "font-medium text-danger" : "text-muted"}`}
        >
          {lengthMessage(length)}
        </span>
      ) : null}
      {busy ? (
        <button type="button" onClick={onStop} className="rounded-xl border border-line px-3 py-2 text-sm font-medium hover:bg-surface-2">
          Stop
        </button>
      ) : (
        <button
          type="submit"
          disabled={!canSend}
          className="rounded-xl bg-accent px-3 py-2 text-sm font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-50"
        >
          Send
        </button>
      )}
    </form>
  );
});
