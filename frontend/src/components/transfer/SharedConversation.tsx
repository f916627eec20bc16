"use client";

import { useEffect, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { PublicShare } from "@/api/types";
import { formatDateTime } from "@/lib/format";
import { tokenFromHash } from "@/lib/transfer";
import { Markdown } from "../Markdown";

type View = { kind: "loading" } | { kind: "missing" } | { kind: "error"; error: AppError } | { kind: "shown"; share: PublicShare };

/**
 * The public, read-only page of a share link (/share/#<token>), signed out. The token is read
 * from the fragment after load, so the static export serves one file for every link and the
 * token never reaches a server log. Unknown and revoked links look the same.
 */
export function SharedConversation() {
  const [view, setView] = useState<View>({ kind: "loading" });

  useEffect(() => {
    let cancelled = false;
    async function load() {
      const token = tokenFromHash(window.location.hash);
      if (!token) return setView({ kind: "missing" });
      setView({ kind: "loading" });
      try {
        const { data, error: err, response } = await api().GET("/api/v1/shared/{token}", {
          params: { path: { token } },
        });
        if (cancelled) return;
        if (data) setView({ kind: "shown", share: data });
        else if (response.status === 404) setView({ kind: "missing" });
        else setView({ kind: "error", error: fromResponse(response, err) });
      } catch (e) {
        if (!cancelled) setView({ kind: "error", error: networkError(e) });
      }
    }
    void load();
    const onHash = () => void load();
    window.addEventListener("hashchange", onHash);
    return () => {
      cancelled = true;
      window.removeEventListener("hashchange", onHash);
    };
  }, []);

  return (
    <div className="min-h-dvh">
      <header className="flex items-center gap-2 border-b border-line bg-surface px-4 py-2">
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img src="/favicon.svg" alt="" width={22} height={22} />
        <span className="font-semibold">Lockgate</span>
        <span className="ml-auto text-sm text-muted">Shared conversation · read-only</span>
      </header>
      <main id="main" className="mx-auto w-full max-w-3xl px-4 py-6">
        {view.kind === "loading" ? (
          <p role="status" className="text-muted">
            Loading…
          </p>
        ) : null}
        {view.kind === "missing" ? (
          <div>
            <h1 className="text-2xl font-semibold">Link not available</h1>
            <p className="mt-2 text-muted">This share link does not exist or was revoked by its owner.</p>
          </div>
        ) : null}
        {view.kind === "error" ? (
          <div role="alert">
            <h1 className="text-2xl font-semibold">Could not load this conversation</h1>
            <p className="mt-2 text-muted">{view.error.message}</p>
          </div>
        ) : null}
        {view.kind === "shown" ? <Snapshot share={view.share} /> : null}
      </main>
    </div>
  );
}

function Snapshot({ share }: { share: PublicShare }) {
  return (
    <article aria-labelledby="shared-title">
      <h1 id="shared-title" className="text-2xl font-semibold">
        {share.title || "Untitled conversation"}
      </h1>
      <p className="mt-1 text-sm text-muted">
        Shared {formatDateTime(share.shared_at)} · a snapshot: later messages are not included.
      </p>
      <ol className="mt-6 space-y-6" data-testid="shared-messages">
        {share.messages.map((m, i) =>
          m.role === "user" ? (
            <li key={i} className="flex justify-end" data-testid="shared-question">
              <div className="max-w-[85%] whitespace-pre-wrap break-words rounded-2xl bg-accent-soft px-4 py-2">
                <span className="sr-only">Question: </span>
                {m.content}
              </div>
            </li>
          ) : (
            <li key={i} data-testid="shared-answer">
              <p className="mb-1 text-xs text-muted">
                Answer{m.model ? ` · ${m.model}` : ""}
              </p>
              <Markdown text={m.content} />
            </li>
          ),
        )}
      </ol>
    </article>
  );
}
