"use client";

import { useRef, useState } from "react";
import { exportUrl } from "@/lib/transfer";
import { ShareDialog } from "./ShareDialog";

/**
 * The open conversation's Share and Export actions, in the chat header. Kept in a component of
 * its own so the sidebar's per-conversation menu stays someone else's file.
 */
export function ConversationTransfer({ conversationId, title }: { conversationId: string; title: string }) {
  const [sharing, setSharing] = useState(false);
  const menu = useRef<HTMLDetailsElement>(null);
  // A chosen download, Escape or a click elsewhere closes the menu.
  const close = () => {
    if (menu.current) menu.current.open = false;
  };
  return (
    <>
      <button type="button" onClick={() => setSharing(true)} className="rounded-md border border-line px-2 py-1 text-sm hover:bg-surface-2">
        Share
      </button>
      <details
        ref={menu}
        className="relative"
        data-testid="export-menu"
        onKeyDown={(e) => {
          if (e.key === "Escape" && menu.current?.open) {
            e.stopPropagation();
            close();
            menu.current.querySelector("summary")?.focus();
          }
        }}
        onBlur={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) close();
        }}
      >
        <summary className="cursor-pointer list-none rounded-md border border-line px-2 py-1 text-sm hover:bg-surface-2">Export</summary>
        <ul className="absolute right-0 top-9 z-30 min-w-44 rounded-md border border-line bg-bg py-1 shadow-lg">
          <li>
            <a href={exportUrl(conversationId, "markdown")} download onClick={close} className="block px-3 py-1.5 text-sm hover:bg-surface-2">
              Markdown (.md)
            </a>
          </li>
          <li>
            <a href={exportUrl(conversationId, "json")} download onClick={close} className="block px-3 py-1.5 text-sm hover:bg-surface-2">
              Lockgate JSON (.json)
            </a>
          </li>
        </ul>
      </details>
      {sharing ? <ShareDialog conversationId={conversationId} title={title} onClose={() => setSharing(false)} /> : null}
    </>
  );
}
