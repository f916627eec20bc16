"use client";

import { useEffect, useId, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { UsageReport } from "@/api/types";
import { formatTokens, formatUsd } from "@/lib/format";
import { aggregate } from "@/lib/usage";
import { AppShell, PageTitle } from "./AppShell";
import { ErrorBanner } from "./ErrorBanner";
import { UsageChart } from "./UsageChart";

const RANGES = [7, 30, 90] as const;

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function UsageApp() {
  const id = useId();
  const [range, setRange] = useState<(typeof RANGES)[number]>(30);
  const [report, setReport] = useState<UsageReport | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    let live = true;
    const end = new Date();
    const start = new Date(end.getTime() - (range - 1) * 86400_000);
    api()
      .GET("/api/v1/usage", { params: { query: { start: isoDay(start), end: isoDay(end), scope: "own" } } })
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
  }, [range]);

  const agg = report ? aggregate(report.rows, report.start, report.end) : null;
  return (
    <AppShell>
      <PageTitle sub="What your chats and images cost, by UTC day and model.">Usage</PageTitle>
      <div className="mb-4 flex flex-wrap items-center gap-4">
        <div className="flex items-center gap-2">
          <label htmlFor={id} className="text-sm font-medium">
            Period
          </label>
          <select id={id} value={range} onChange={(e) => setRange(Number(e.target.value) as (typeof RANGES)[number])} className="rounded-md border border-field bg-bg px-2 py-1 text-sm">
            {RANGES.map((r) => (
              <option key={r} value={r}>
                Last {r} days
              </option>
            ))}
          </select>
        </div>
        {report ? (
          <p className="text-sm" data-testid="usage-total">
            <span className="text-muted">Total:</span> <strong>{formatUsd(report.total_cost_usd)}</strong>{" "}
            <span className="text-muted">over {report.total_requests} requests</span>
            {Number(report.saved_usd) > 0 ? (
              <>
                {" "}
                <span className="text-muted">· saved by the cache:</span> <strong data-testid="usage-saved">{formatUsd(report.saved_usd)}</strong>
              </>
            ) : null}
          </p>
        ) : null}
      </div>
      {error ? <ErrorBanner error={error} /> : null}
      {agg ? (
        <>
          <section aria-labelledby={`${id}-chart`} className="rounded-xl border border-line bg-surface p-4">
            <h2 id={`${id}-chart`} className="mb-2 font-semibold">
              Spend per day
            </h2>
            <UsageChart days={agg.days} models={agg.models.map((m) => m.model)} />
          </section>
          <section aria-labelledby={`${id}-models`} className="mt-6">
            <h2 id={`${id}-models`} className="mb-2 font-semibold">
              By model
            </h2>
            {agg.models.length === 0 ? (
              <p className="text-muted">No usage in this period yet.</p>
            ) : (
              <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Spend by model">
                <table className="w-full min-w-[520px] text-left text-sm">
                  <thead className="border-b border-line text-muted">
                    <tr>
                      <th scope="col" className="py-2 pr-3 font-medium">Model</th>
                      <th scope="col" className="py-2 pr-3 font-medium">Provider</th>
                      <th scope="col" className="py-2 pr-3 text-right font-medium">Requests</th>
                      <th scope="col" className="py-2 pr-3 text-right font-medium">Tokens in / out</th>
                      <th scope="col" className="py-2 pr-3 text-right font-medium">Images</th>
                      <th scope="col" className="py-2 text-right font-medium">Cost</th>
                    </tr>
                  </thead>
                  <tbody>
                    {agg.models.map((m) => (
                      <tr key={m.model} className="border-b border-line">
                        <th scope="row" className="py-2 pr-3 font-medium">{m.model}</th>
                        <td className="py-2 pr-3">{m.provider}</td>
                        <td className="py-2 pr-3 text-right">{m.requests}</td>
                        <td className="py-2 pr-3 text-right">
                          {formatTokens(m.inputTokens)} / {formatTokens(m.outputTokens)}
                        </td>
                        <td className="py-2 pr-3 text-right">{m.images}</td>
                        <td className="py-2 text-right">{formatUsd(m.cost)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      ) : !error ? (
        <p className="text-muted" role="status">
          Loading…
        </p>
      ) : null}
    </AppShell>
  );
}
