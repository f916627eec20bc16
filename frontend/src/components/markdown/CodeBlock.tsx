"use client";

import { useId, useRef, useState, type ReactNode } from "react";
import { msg } from "@/lib/messages";
import { CopyButton } from "../CopyButton";

/**
 * A fenced code block: its language, a copy button (the code as written, without the
 * highlighter's markup) and a wrap toggle for long lines (pressed: lines wrap; not pressed: the
 * block scrolls sideways).
 */
export function CodeBlock({ language, children }: { language: string | null; children: ReactNode }) {
  const ref = useRef<HTMLPreElement>(null);
  const [wrap, setWrap] = useState(false);
  const labelId = useId();
  const lang = language ?? msg.code.fallbackLanguage;
  return (
    <div className="not-prose overflow-hidden rounded-lg border border-line bg-code" data-testid="code-block">
      <div className="flex items-center justify-between gap-2 border-b border-line px-3 py-1">
        <span id={labelId} className="font-mono text-xs text-muted" data-testid="code-language">
          {lang}
        </span>
        <span className="flex items-center gap-1">
          <button
            type="button"
            aria-pressed={wrap}
            onClick={() => setWrap((w) => !w)}
            className={`rounded px-2 py-0.5 text-xs hover:bg-surface-2 hover:text-fg ${wrap ? "bg-surface-2 text-fg" : "text-muted"}`}
          >
            {msg.code.wrap}
          </button>
          <CopyButton getText={() => (ref.current?.textContent ?? "").replace(/\n$/, "")} label={msg.code.copy} />
        </span>
      </div>
      <pre
        ref={ref}
        tabIndex={0}
        aria-labelledby={labelId}
        className={`overflow-x-auto p-3 font-mono text-[0.85rem] leading-relaxed ${wrap ? "code-wrap" : ""}`}
      >
        {children}
      </pre>
    </div>
  );
}
