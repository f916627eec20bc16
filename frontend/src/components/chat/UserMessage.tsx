"use client";

import { useEffect, useId, useRef } from "react";
import type { Message } from "@/api/types";
import { lengthMessage, lengthState } from "@/lib/limits";
import { BranchSwitcher } from "./BranchSwitcher";
import { UserBubble } from "./MessageView";

/**
 * One of the person's messages on the current branch: the text, an Edit button, and ‹ n/m ›
 * between its versions. Editing happens in place; "Save & send" (or Enter) sends the new
 * version as a sibling on a new branch (the old one stays reachable), "Cancel" (or Escape)
 * puts the message back. Focus goes to the editor when it opens and back to Edit when it closes.
 */
export function UserMessage({
  message,
  idle,
  draft,
  onEdit,
  onDraft,
  onCancel,
  onSave,
  onSwitch,
}: {
  message: Message;
  /** No answer is being written: editing and switching are possible. */
  idle: boolean;
  /** The editor's text while this message is being edited, else null. */
  draft: string | null;
  onEdit: () => void;
  onDraft: (text: string) => void;
  onCancel: () => void;
  onSave: () => void;
  onSwitch: (messageId: string) => void;
}) {
  const id = useId();
  const editor = useRef<HTMLTextAreaElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  const editing = draft !== null;

  useEffect(() => {
    if (editing) editor.current?.focus();
    else if (wasEditing.current) editButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  if (editing) {
    const length = lengthState(draft);
    const canSave = idle && !length.over && draft.trim() !== "" && draft.trim() !== message.content.trim();
    return (
      <form
        className="ml-auto flex w-full max-w-[85%] flex-col gap-2 rounded-2xl border border-field bg-bg p-2 focus-within:border-accent"
        data-testid="message-editor"
        onSubmit={(e) => {
          e.preventDefault();
          if (canSave) onSave();
        }}
      >
        <label htmlFor={id} className="sr-only">
          Edit your message
        </label>
        <textarea
          id={id}
          ref={editor}
          value={draft}
          rows={3}
          aria-describedby={`${id}-hint`}
          aria-invalid={length.over || undefined}
          onChange={(e) => onDraft(e.target.value)}
          onKeyDown={(e) => {
            const composing = (e.nativeEvent as { isComposing?: boolean }).isComposing === true;
            if (e.key === "Enter" && !e.shiftKey && !composing) {
              e.preventDefault();
              if (canSave) onSave();
            } else if (e.key === "Escape") {
              e.preventDefault();
              onCancel();
            }
          }}
          className="max-h-60 min-h-16 resize-y bg-transparent px-2 py-1 outline-none [field-sizing:content] focus-visible:outline-none"
        />
        <span id={`${id}-hint`} className="sr-only">
          Enter saves and sends the new version, Shift+Enter adds a line, Escape cancels. The
          original stays on its own branch.
        </span>
        {length.near ? (
          <span role="status" className={`text-xs ${length.over ? "font-medium text-danger" : "text-muted"}`}>
            {lengthMessage(length)}
          </span>
        ) : null}
        <div className="flex justify-end gap-2">
          <button type="button" onClick={onCancel} className="rounded-xl border border-line px-3 py-1.5 text-sm font-medium hover:bg-surface-2">
            Cancel
          </button>
          <button
            type="submit"
            disabled={!canSave}
            className="rounded-xl bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-50"
          >
            Save &amp; send
          </button>
        </div>
      </form>
    );
  }

  return (
    <div className="space-y-1" data-message-id={message.id}>
      <UserBubble content={message.content} />
      <div className="flex items-center justify-end gap-1 text-xs">
        <BranchSwitcher message={message} kind="version" disabled={!idle} onSwitch={onSwitch} />
        {idle ? (
          <button
            ref={editButton}
            type="button"
            onClick={onEdit}
            className="rounded px-2 py-0.5 text-muted hover:bg-surface-2 hover:text-fg"
            aria-label="Edit message"
          >
            Edit
          </button>
        ) : null}
      </div>
    </div>
  );
}
