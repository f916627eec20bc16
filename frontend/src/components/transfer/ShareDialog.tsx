"use client";

import { useEffect, useId, useRef, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { ShareCreated } from "@/api/types";
import { shareUrl } from "@/lib/transfer";
import { CopyButton } from "../CopyButton";
import { ErrorBanner } from "../ErrorBanner";

type Phase = { kind: "ready" } | { kind: "created"; share: ShareCreated } | { kind: "revoked" };

/**
 * Share a conversation: create a read-only snapshot link, copy it, revoke it. A native modal
 * `<dialog>` (focus kept inside, Escape closes, focus returns to the opener). The link is shown
 * once: only its hash is stored, so "My shared links" in Settings can revoke it but not show it.
 */
export function ShareDialog({ conversationId, title, onClose }: { conversationId: string; title: string; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const linkId = useId();
  const [phase, setPhase] = useState<Phase>({ kind: "ready" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal();
  }, []);

  async function create() {
    setBusy(true);
    setError(null);
    try {
      const { data, error: err, response } = await api().POST("/api/v1/conversations/{conversation_id}/shares", {
        params: { path: { conversation_id: conversationId } },
      });
      if (data) setPhase({ kind: "created", share: data });
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(share: ShareCreated) {
    setBusy(true);
    setError(null);
    try {
      const { error: err, response } = await api().DELETE("/api/v1/shares/{share_id}", {
        params: { path: { share_id: share.id } },
      });
      if (response.ok) setPhase({ kind: "revoked" });
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    } finally {
      setBusy(false);
    }
  }

  const link = phase.kind === "created" ? shareUrl(phase.share.token) : "";
  return (
    <dialog
      ref={dialog}
      aria-labelledby={headingId}
      onClose={onClose}
      className="m-auto max-h-[calc(100dvh-2rem)] w-[min(32rem,calc(100vw-2rem))] overflow-y-auto rounded-xl border border-line bg-bg p-5 text-fg shadow-xl backdrop:bg-black/40"
    >
      <h2 id={headingId} className="text-lg font-semibold">
        Share “{title || "Untitled conversation"}”
      </h2>
      <p className="mt-2 text-sm text-muted">
        Anyone with the link can read the conversation as it is now, without signing in. Messages you send later are not
        included, and your account (email, costs) is never shown. Search engines are asked not to index it.
      </p>
      {error ? (
        <div className="mt-3">
          <ErrorBanner error={error} onDismiss={() => setError(null)} />
        </div>
      ) : null}
      {phase.kind === "ready" ? (
        <button type="button" disabled={busy} onClick={() => void create()} className="mt-4 rounded-md bg-accent px-4 py-2 font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60">
          Create link
        </button>
      ) : null}
      {phase.kind === "created" ? (
        <div className="mt-4 space-y-2" data-testid="share-created">
          <label htmlFor={linkId} className="block text-sm font-medium">
            Share link
          </label>
          <div className="flex flex-wrap items-center gap-2">
            <input id={linkId} readOnly value={link} onFocus={(e) => e.currentTarget.select()} className="min-w-0 flex-1 rounded-md border border-field bg-bg px-2 py-1.5 font-mono text-xs" />
            <CopyButton getText={() => link} label="Copy link" />
          </div>
          <p className="text-xs text-muted">Copy it now: for your safety it is shown only once. You can revoke it here or in Settings.</p>
          <button type="button" disabled={busy} onClick={() => void revoke(phase.share)} className="rounded-md border border-line px-3 py-1.5 text-sm text-danger hover:bg-surface-2 disabled:opacity-60">
            Revoke link
          </button>
        </div>
      ) : null}
      {phase.kind === "revoked" ? (
        <p role="status" className="mt-4 text-sm text-ok">
          Link revoked. It no longer opens anything.
        </p>
      ) : null}
      <div className="mt-5 flex justify-end">
        <button type="button" onClick={() => dialog.current?.close()} className="rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
          Close
        </button>
      </div>
    </dialog>
  );
}
