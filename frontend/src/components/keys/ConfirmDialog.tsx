"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";

/**
 * A modal question (the native <dialog>: focus moves in and stays there, Escape cancels, the page
 * behind is inert). Cancel has the focus first, so Enter never confirms something destructive by
 * accident.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  busy = false,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const id = useId();
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) {
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", ""); // jsdom
    }
    cancelRef.current?.focus();
    return () => {
      if (dialog.open && typeof dialog.close === "function") dialog.close();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
      className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl border border-line bg-surface p-5 text-fg shadow-xl backdrop:bg-black/50"
    >
      <h2 id={`${id}-title`} className="text-lg font-semibold">
        {title}
      </h2>
      <div id={`${id}-body`} className="mt-2 text-sm">
        {children}
      </div>
      <div className="mt-5 flex justify-end gap-2">
        <button ref={cancelRef} type="button" disabled={busy} onClick={onCancel} className="rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2 disabled:opacity-60">
          Cancel
        </button>
        <button type="button" disabled={busy} onClick={onConfirm} className="rounded-md border border-danger bg-danger-soft px-3 py-1.5 text-sm font-medium text-danger hover:opacity-90 disabled:opacity-60">
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
