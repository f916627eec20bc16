import type { ReactNode } from "react";

/** A modal dialog over a dimmed page; a click on the page outside it closes it. Pair it with
 * `useDialogFocus` for the keyboard. */
export function ModalDialog({
  titleId,
  onClose,
  className,
  testId,
  children,
}: {
  titleId: string;
  onClose: () => void;
  className: string;
  testId: string;
  children: ReactNode;
}) {
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/40 p-4" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div role="dialog" aria-modal="true" aria-labelledby={titleId} className={`rounded-xl border border-line bg-bg p-5 shadow-xl ${className}`} data-testid={testId}>
        {children}
      </div>
    </div>
  );
}
