"use client";

import { useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { ProviderCheck } from "@/api/types";
import { checkText } from "@/lib/catalog";
import { ErrorBanner } from "./ErrorBanner";

/**
 * Admins: one real, cheap request to the provider (its model list; nothing is billed), with the
 * latency and the outcome. The server bounds it by a timeout, allows one check per provider every
 * few seconds and writes it to the audit log.
 */
export function ProviderCheckButton({ name }: { name: string }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ProviderCheck | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  async function run() {
    setBusy(true);
    setError(null);
    try {
      const { data, error: err, response } = await api().POST("/api/v1/admin/providers/{name}/check", { params: { path: { name } } });
      if (data) setResult(data);
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-2">
      <button
        type="button"
        onClick={() => void run()}
        disabled={busy}
        aria-label={`Check ${name} now`}
        className="rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2 disabled:opacity-60"
      >
        {busy ? "Checking…" : "Check now"}
      </button>
      <p role="status" className="text-sm" data-testid="provider-check">
        {result ? (
          <>
            <span className={`mr-1 rounded px-1.5 py-0.5 text-xs font-medium ${result.ok ? "bg-ok-soft text-ok" : "bg-danger-soft text-danger"}`}>{result.ok ? "Healthy" : "Failing"}</span>
            {checkText(result)}
            {result.code ? <span className="ml-1 font-mono text-xs">{result.code}</span> : null}
          </>
        ) : null}
      </p>
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
    </div>
  );
}
