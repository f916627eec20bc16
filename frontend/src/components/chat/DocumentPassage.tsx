"use client";

import { useEffect, useId, useRef, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { Citation, Passage } from "@/api/types";
import { useDialogFocus } from "@/hooks/useDialogFocus";
import { ModalDialog } from "../ModalDialog";
import { docMsg, whereOf } from "@/lib/documentMessages";

type Loaded = { kind: "loading" } | { kind: "passage"; passage: Passage } | { kind: "gone" } | { kind: "error"; error: AppError };

/**
 * The passage a citation points at, in a modal dialog: its number, file name and page, and the
 * text itself as plain text (never markdown: it is the document's, not ours). Focus moves to the
 * dialog and returns to the [n] that opened it (Esc, Close, or a click outside).
 */
export function DocumentPassage({ citation, onClose }: { citation: Citation; onClose: () => void }) {
  const titleId = useId();
  const close = useRef<HTMLButtonElement>(null);
  const [loaded, setLoaded] = useState<Loaded>({ kind: "loading" });

  useEffect(() => {
    const chunk = citation.chunk_id;
    if (!chunk) {
      setLoaded({ kind: "gone" });
      return;
    }
    let live = true;
    setLoaded({ kind: "loading" });
    api()
      .GET("/api/v1/passages/{chunk_id}", { params: { path: { chunk_id: chunk } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) setLoaded({ kind: "passage", passage: data });
        else if (response.status === 404) setLoaded({ kind: "gone" });
        else setLoaded({ kind: "error", error: fromResponse(response, error) });
      })
      .catch((e: unknown) => live && setLoaded({ kind: "error", error: networkError(e) }));
    return () => {
      live = false;
    };
  }, [citation.chunk_id]);

  useDialogFocus(close, onClose);

  return (
    <ModalDialog titleId={titleId} onClose={onClose} className="flex max-h-[85vh] w-full max-w-xl flex-col" testId="passage">
      <div className="mb-2 flex items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 id={titleId} className="text-lg font-semibold">
            {docMsg.sourceTitle(citation.position)}
          </h2>
          <p className="break-words text-sm text-muted" data-testid="passage-where">
            {whereOf(citation)}
          </p>
        </div>
        <button ref={close} type="button" onClick={onClose} className="rounded-md border border-line px-2.5 py-1 text-sm hover:bg-surface-2">
          {docMsg.close}
        </button>
      </div>
      <div className="min-h-0 overflow-y-auto" tabIndex={0} role="region" aria-label={whereOf(citation)}>
        {loaded.kind === "loading" ? (
          <p className="text-sm text-muted" role="status">
            {docMsg.loading}
          </p>
        ) : loaded.kind === "gone" ? (
          <p className="text-sm text-muted">{docMsg.deleted}</p>
        ) : loaded.kind === "error" ? (
          <p className="text-sm text-danger">{loaded.error.message}</p>
        ) : (
          <blockquote className="whitespace-pre-wrap break-words border-l-4 border-accent pl-3 text-sm" data-testid="passage-text">
            {loaded.passage.text}
          </blockquote>
        )}
      </div>
    </ModalDialog>
  );
}
