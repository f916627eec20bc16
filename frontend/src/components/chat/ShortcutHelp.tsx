"use client";

import { useId, useRef } from "react";
import { useDialogFocus } from "@/hooks/useDialogFocus";
import { ModalDialog } from "../ModalDialog";
import { msg } from "@/lib/messages";
import { isMac, keyName, SHORTCUTS } from "@/lib/shortcuts";

/**
 * The keyboard shortcuts, in a modal dialog: focus moves to it and returns where it was when it
 * closes (Esc, the Close button or a click outside).
 */
export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const titleId = useId();
  const close = useRef<HTMLButtonElement>(null);
  const mac = isMac();
  useDialogFocus(close, onClose, true); // one control: Tab keeps the focus on it
  return (
    <ModalDialog titleId={titleId} onClose={onClose} className="w-full max-w-md" testId="shortcut-help">
      <div className="mb-3 flex items-center justify-between gap-2">
        <h2 id={titleId} className="text-lg font-semibold">
          {msg.shortcuts.title}
        </h2>
        <button ref={close} type="button" onClick={onClose} className="rounded-md border border-line px-2.5 py-1 text-sm hover:bg-surface-2">
          {msg.shortcuts.close}
        </button>
      </div>
      <p className="mb-3 text-sm text-muted">{msg.shortcuts.intro}</p>
      <table className="w-full text-sm">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.action} className="border-t border-line">
              <th scope="row" className="py-1.5 pr-3 text-left font-normal">
                {s.label}
              </th>
              <td className="py-1.5 text-right whitespace-nowrap">
                {s.keys.map((combo, i) => (
                  <span key={combo.join("+")}>
                    {i > 0 ? <span className="px-1 text-muted">{msg.shortcuts.or}</span> : null}
                    {combo.map((k, j) => (
                      <span key={k}>
                        {j > 0 ? <span className="px-0.5 text-muted">+</span> : null}
                        <kbd className="rounded border border-line bg-surface px-1.5 py-0.5 font-mono text-xs">{keyName(k, mac)}</kbd>
                      </span>
                    ))}
                  </span>
                ))}
              </td>
            </tr>
          ))}
          <tr className="border-t border-line">
            <th scope="row" className="py-1.5 pr-3 text-left font-normal">
              {msg.shortcuts.promptMenu}
            </th>
            <td className="py-1.5 text-right">
              <kbd className="rounded border border-line bg-surface px-1.5 py-0.5 font-mono text-xs">/</kbd>
            </td>
          </tr>
        </tbody>
      </table>
    </ModalDialog>
  );
}
