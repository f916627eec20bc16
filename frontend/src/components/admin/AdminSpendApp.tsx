"use client";

import { useEffect, useId, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { SpendReport } from "@/api/types";
import { formatTokens, formatUsd } from "@/lib/format";
import { ErrorBanner } from "../ErrorBanner";
import { AdminShell } from "./AdminShell";

type By = "user" | "key" | "model" | "provider" | "day";
const BY: { value: By; label: string }[] = [
  { value: "user", label: "User (top spenders)" },
  { value: "key", label: "API key" },
  { value: "model", label: "Model" },
  { value: "provider", label: "Provider" },
  { value: "day", label: "Day" },
];

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Spend over any period by user, key, model, provider or day; CSV export. */
export function AdminSpendApp() {
  const id = useId();
  const today = new Date();
  const [start, setStart] = useState(isoDay(new Date(today.getTime() - 29 * 86400_000)));
  const [end, setEnd] = useState(isoDay(today));
  const [by, setBy] = useState<By>("user");
  const [report, setReport] = useState<SpendReport | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    if (!start || !end) return;
    let live = true;
    api()
      .GET("/api/v1/admin/spend", { params: { query: { start, end, by, limit: 100 } } })
      .then(({ data, error: err, response }) => {
        if (!live) return;
        if (data) {
          setReport(data);
          setError(null);
        } else setError(fromResponse(response, err));
      })
      .catch((e: unknown) => live && setError(networkError(e)));
    return () => {
      live = false;
    };
  }, [start, end, by]);

  const query = new URLSearchParams({ start, end, by }).toString();
  return (
    <AdminShell title="Admin" sub="What every user, key, model and provider spent, over any period (UTC days).">
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <div>
          <label htmlFor={`${id}-start`} className="mb-1 block text-sm font-medium">
            From
          </label>
          <input id={`${id}-start`} type="date" value={start} max={end} onChange={(e) => setStart(e.target.value)} className="rounded-md border border-field bg-bg px-2 py-1" />
        </div>
        <div>
          <label htmlFor={`${id}-end`} className="mb-1 block text-sm font-medium">
            To
          </label>
          <input id={`${id}-end`} type="date" value={end} min={start} onChange={(e) => setEnd(e.target.value)} className="rounded-md border border-field bg-bg px-2 py-1" />
        </div>
        <div>
          <label htmlFor={`${id}-by`} className="mb-1 block text-sm font-medium">
            By
          </label>
          <select id={`${id}-by`} value={by} onChange={(e) => setBy(e.target.value as By)} className="rounded-md border border-field bg-bg px-2 py-1.5">
            {BY.map((b) => (
              <option key={b.value} value={b.value}>
                {b.label}
              </option>
            ))}
          </select>
        </div>
        <a href={`/api/v1/admin/spend/export.csv?${query}`} download className="ml-auto rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
          Export CSV
        </a>
      </div>
      {error ? <ErrorBanner error={error} /> : null}
      {report ? (
        <>
          <p className="mb-3 text-sm" data-testid="spend-total">
            <span className="text-muted">Total:</span> <strong>{formatUsd(report.total_cost_usd)}</strong>{" "}
            <span className="text-muted">
              over {formatTokens(report.total_requests)} requests · saved by the cache: {formatUsd(report.total_saved_usd)}
            </span>
          </p>
          {report.rows.length === 0 ? (
            <p className="text-muted">No spend in this period.</p>
          ) : (
            <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Spend">
              <table className="w-full min-w-[620px] text-left text-sm">
                <thead className="border-b border-line text-muted">
                  <tr>
                    <th scope="col" className="py-2 pr-3 font-medium">{BY.find((b) => b.value === report.by)?.label ?? "Group"}</th>
                    <th scope="col" className="py-2 pr-3 text-right font-medium">Requests</th>
                    <th scope="col" className="py-2 pr-3 text-right font-medium">Tokens in / out</th>
                    <th scope="col" className="py-2 pr-3 text-right font-medium">Cost</th>
                    <th scope="col" className="py-2 font-medium">Share</th>
                  </tr>
                </thead>
                <tbody>
                  {report.rows.map((r) => (
                    <tr key={r.key} className="border-b border-line">
                      <th scope="row" className="break-all py-2 pr-3 font-medium">
                        {r.label}
                        {r.user_email && r.user_email !== r.label ? <span className="block text-xs font-normal text-muted">{r.user_email}</span> : null}
                      </th>
                      <td className="py-2 pr-3 text-right">{formatTokens(r.requests)}</td>
                      <td className="py-2 pr-3 text-right">
                        {formatTokens(r.input_tokens)} / {formatTokens(r.output_tokens)}
                      </td>
                      <td className="py-2 pr-3 text-right">{formatUsd(r.cost_usd)}</td>
                      <td className="py-2">
                        <div className="flex items-center gap-2">
                          <div className="h-2 w-24 overflow-hidden rounded bg-surface-2" aria-hidden="true">
                            <div className="h-full bg-accent" style={{ width: `${Math.round(r.share * 100)}%` }} />
                          </div>
                          <span className="text-xs">{Math.round(r.share * 100)}%</span>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {report.groups > report.rows.length ? (
            <p className="mt-2 text-sm text-muted">
              Showing the top {report.rows.length} of {report.groups}; the CSV has all of them.
            </p>
          ) : null}
        </>
      ) : !error ? (
        <p role="status" className="text-muted">
          Loading…
        </p>
      ) : null}
    </AdminShell>
  );
}
