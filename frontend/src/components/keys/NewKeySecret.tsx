"use client";

import { useId, useState } from "react";
import type { ApiKeyCreated } from "@/api/types";
import { SNIPPET_LABELS, type SnippetLang, snippets } from "@/lib/keys";
import { CopyButton } from "../CopyButton";

const LANGS: SnippetLang[] = ["curl", "python", "node"];

/** The new key's secret, shown this once, with ready-to-run calls that use it. */
export function NewKeySecret({ created, origin, model, onDone }: { created: ApiKeyCreated; origin: string; model: string; onDone: () => void }) {
  const id = useId();
  const [lang, setLang] = useState<SnippetLang>("curl");
  const code = snippets(origin, created.key, model);
  return (
    <section aria-labelledby={`${id}-title`} className="mb-8 rounded-xl border border-ok bg-ok-soft p-4" data-testid="new-key">
      <h2 id={`${id}-title`} className="font-semibold">
        Your new key “{created.name}”
      </h2>
      <p className="mt-1 text-sm">
        Copy it now: this is the only time Lockgate shows it. Only a fingerprint of it is stored, so it cannot be shown again — if you lose it, revoke it and create
        another.
      </p>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <label htmlFor={`${id}-secret`} className="sr-only">
          API key
        </label>
        <input
          id={`${id}-secret`}
          readOnly
          value={created.key}
          onFocus={(e) => e.currentTarget.select()}
          className="min-w-0 flex-1 rounded-md border border-field bg-bg px-3 py-2 font-mono text-sm"
          data-testid="new-key-secret"
          spellCheck={false}
        />
        <CopyButton getText={() => created.key} label="Copy key" />
      </div>
      <div className="mt-4">
        <div role="tablist" aria-label="Example" className="flex gap-1">
          {LANGS.map((l) => (
            <button
              key={l}
              id={`${id}-tab-${l}`}
              type="button"
              role="tab"
              aria-selected={lang === l}
              aria-controls={`${id}-panel`}
              tabIndex={lang === l ? 0 : -1}
              onClick={() => setLang(l)}
              onKeyDown={(e) => {
                if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
                const next = LANGS[(LANGS.indexOf(l) + (e.key === "ArrowRight" ? 1 : LANGS.length - 1)) % LANGS.length] as SnippetLang;
                setLang(next);
                document.getElementById(`${id}-tab-${next}`)?.focus();
              }}
              className={`rounded-t-md px-3 py-1 text-sm ${lang === l ? "bg-code font-medium" : "text-muted hover:text-fg"}`}
            >
              {SNIPPET_LABELS[l]}
            </button>
          ))}
        </div>
        <div id={`${id}-panel`} role="tabpanel" aria-labelledby={`${id}-tab-${lang}`} className="rounded-b-md rounded-tr-md bg-code">
          <div className="flex justify-end px-2 pt-1">
            <CopyButton getText={() => code[lang]} label={`Copy ${SNIPPET_LABELS[lang]}`} />
          </div>
          <pre tabIndex={0} aria-label={`${SNIPPET_LABELS[lang]} example`} className="overflow-x-auto px-3 pb-3 font-mono text-[0.8rem] leading-relaxed" data-testid="snippet">
            <code>{code[lang]}</code>
          </pre>
        </div>
      </div>
      <button type="button" onClick={onDone} className="mt-4 rounded-md bg-accent px-4 py-2 text-sm font-medium text-accent-fg hover:bg-accent-hover">
        I have copied it
      </button>
    </section>
  );
}
