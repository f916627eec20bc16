"use client";

import { useId, useRef } from "react";
import type { AppError } from "@/api/errors";
import type { DocumentItem } from "@/api/types";
import { docMsg } from "@/lib/documentMessages";
import { ErrorBanner } from "../ErrorBanner";

export const DOCUMENT_ACCEPT =
  ".pdf,.docx,.md,.markdown,.txt,.text,.csv,.tsv,.log,.rst,.json,.yaml,.yml,.toml,.xml,.html,.css," +
  ".py,.js,.mjs,.ts,.tsx,.jsx,.java,.kt,.go,.rs,.c,.h,.cpp,.hpp,.cs,.rb,.php,.swift,.scala,.sh,.sql,.r,.lua";

const TONE: Record<string, string> = {
  indexing: "text-muted",
  ready: "text-ok",
  failed: "text-danger",
};

/**
 * Attach documents to the conversation and see them: name, status (indexing… → ready, or
 * failed with why), and a remove button. A new chat is created on the first attachment.
 */
export function DocumentsBar({
  documents,
  uploading,
  error,
  onDismissError,
  onAttach,
  onRemove,
  disabled = false,
}: {
  documents: DocumentItem[];
  uploading: boolean;
  error: AppError | null;
  onDismissError: () => void;
  onAttach: (files: File[]) => void;
  onRemove: (id: string) => void;
  disabled?: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  const hint = useId();
  return (
    <div className="space-y-2" data-testid="documents">
      {error ? <ErrorBanner error={error} onDismiss={onDismissError} /> : null}
      <div className="flex flex-wrap items-center gap-2">
        <input
          ref={input}
          type="file"
          multiple
          hidden
          accept={DOCUMENT_ACCEPT}
          data-testid="document-input"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = "";
            if (files.length) onAttach(files);
          }}
        />
        <button
          type="button"
          disabled={disabled || uploading}
          aria-describedby={hint}
          onClick={() => input.current?.click()}
          className="rounded-lg border border-line px-2.5 py-1 text-xs font-medium hover:bg-surface-2 disabled:opacity-50"
        >
          {uploading ? docMsg.uploading : docMsg.attach}
        </button>
        <span id={hint} className="sr-only">
          {docMsg.attachHint}
        </span>
        {documents.length ? (
          <ul aria-label={docMsg.listLabel} className="flex flex-wrap gap-2">
            {documents.map((d) => (
              <li
                key={d.id}
                data-testid="document"
                data-status={d.status}
                className="flex max-w-full items-center gap-1.5 rounded-lg border border-line bg-surface px-2 py-0.5 text-xs"
                title={d.error ?? undefined}
              >
                <span className="max-w-48 truncate font-medium">{d.file_name}</span>
                {d.pages ? <span className="text-muted">{docMsg.pages(d.pages)}</span> : null}
                <span role="status" className={TONE[d.status] ?? "text-muted"}>
                  {docMsg.status[d.status] ?? d.status}
                  {d.status === "failed" && d.error ? <span className="sr-only">: {d.error}</span> : null}
                </span>
                <button
                  type="button"
                  aria-label={docMsg.remove(d.file_name)}
                  onClick={() => onRemove(d.id)}
                  className="rounded px-1 text-muted hover:bg-surface-2 hover:text-fg"
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
