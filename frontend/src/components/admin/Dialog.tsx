"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";

/**
 * A modal dialog on the native <dialog> (focus is trapped and restored by the browser; Escape
 * closes it). `open` drives it; closing by any means calls `onClose`.
 */
export function Dialog({
  open,
  title,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      onClose={onClose}
      className="w-[min(32rem,calc(100vw-2rem))] rounded-xl border border-line bg-surface p-5 text-fg backdrop:bg-black/50"
    >
      {open ? (
        <>
          <h2 id={`${id}-title`} className="mb-3 text-lg font-semibold">
            {title}
          </h2>
          {children}
        </>
      ) : null}
    </dialog>
  );
}

/** Asks before an action that signs people out or changes what they may do. */
export function ConfirmDialog({
  open,
  title,
  body,
  confirm,
  danger = false,
  busy = false,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  body: ReactNode;
  confirm: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog open={open} title={title} onClose={onClose}>
      <div className="mb-4 text-sm">{body}</div>
      <div className="flex justify-end gap-2">
        <button type="button" onClick={onClose} className="rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
          Cancel
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={onConfirm}
          className={`rounded-md px-3 py-1.5 text-sm font-medium disabled:opacity-60 ${
            danger ? "bg-danger text-white hover:opacity-90" : "bg-accent text-accent-fg hover:bg-accent-hover"
          }`}
        >
          {confirm}
        </button>
      </div>
    </Dialog>
  );
}
