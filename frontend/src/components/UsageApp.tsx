"use client";

import { useEffect, useId, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { UsageReport } from "@/api/types";
import { formatTokens, formatUsd } from "@/lib/format";
import { PRESETS, type PeriodChoice, aggregate, exportHref, periodOf } from "@/lib/usage";
import { AppShell, PageTitle } from "./AppShell";
import { ErrorBanner } from "./ErrorBanner";
import { UsageChart } from "./UsageChart";
import { UsageByDay } from "./usage/UsageByDay";
import { UsageByKey } from "./usage/UsageByKey";

const INPUT = "rounded-md border border-field bg-bg px-2 py-1 text-sm";

export function UsageApp() {
  const id = useId();
  const [choice, setChoice] = useState<PeriodChoice>(30);
  const [custom, setCustom] = useState({ start: "", end: "" });
  const [report, setReport] = useState<UsageReport | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const period = periodOf(choice, custom);
  const range = "error" in period ? null : period;
  const start = range?.start;
  const end = range?.end;

  useEffect(() => {
    if (!start || !end) return;
    let live = true;
    api()
      .GET("/api/v1/usage", { params: { query: { start, end, scope: "own" } } })
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
  }, [start, end]);

  const agg = report ? aggregate(report.rows, report.start, report.end) : null;
  const hits = report?.cache_hits ?? 0;
  return (
    <AppShell>
      <PageTitle sub="What your chats, images and API keys cost, by UTC day, model and key.">Usage</PageTitle>
      <div className="mb-4 flex flex-wrap items-end gap-4">
        <div className="flex flex-wrap items-center gap-2">
          <label htmlFor={id} className="text-sm font-medium">
            Period
          </label>
          <select
            id={id}
            value={choice}
            onChange={(e) => {
              const value = e.target.value === "custom" ? "custom" : (Number(e.target.value) as PeriodChoice);
              if (value === "custom" && range) setCustom({ start: range.start, end: range.end });
              setChoice(value);
            }}
            className={INPUT}
          >
            {PRESETS.map((r) => (
              <option key={r} value={r}>
                Last {r} days
              </option>
            ))}
            <option value="custom">Custom…</option>
          </select>
          {choice === "custom" ? (
            <>
              <label htmlFor={`${id}-start`} className="text-sm">
                From
              </label>
              <input id={`${id}-start`} type="date" value={custom.start} onChange={(e) => setCustom((c) => ({ ...c, start: e.target.value }))} className={INPUT} />
              <label htmlFor={`${id}-end`} className="text-sm">
                to
              </label>
              <input id={`${id}-end`} type="date" value={custom.end} onChange={(e) => setCustom((c) => ({ ...c, end: e.target.value }))} className={INPUT} />
            </>
          ) : null}
        </div>
        {range ? (
          <a href={exportHref(range)} download className="rounded-md border border-line px-3 py-1 text-sm hover:bg-surface-2" data-testid="usage-export">
            Export CSV
          </a>
        ) : null}
      </div>
      {"error" in period ? (
        <p role="alert" className="mb-4 text-sm text-danger">
          {period.error}
        </p>
      ) : null}
      {report ? (
        <p className="mb-4 text-sm" data-testid="usage-total">
          <span className="text-muted">Total:</span> <strong>{formatUsd(report.total_cost_usd)}</strong>{" "}
          <span className="text-muted">over {formatTokens(report.total_requests)} requests</span>
          {hits > 0 || Number(report.saved_usd) > 0 ? (
            <>
              {" "}
              <span className="text-muted">· saved by the cache:</span> <strong data-testid="usage-saved">{formatUsd(report.saved_usd)}</strong>{" "}
              <span className="text-muted">
                ({formatTokens(hits)} {hits === 1 ? "answer" : "answers"} served from the cache)
              </span>
            </>
          ) : null}
        </p>
      ) : null}
      {error ? <ErrorBanner error={error} /> : null}
      {agg && report ? (
        <>
          <section aria-labelledby={`${id}-chart`} className="rounded-xl border border-line bg-surface p-4">
            <h2 id={`${id}-chart`} className="mb-2 font-semibold">
              Spend per day
            </h2>
            <UsageChart days={agg.days} models={agg.models.map((m) => m.model)} />
            <UsageByDay days={agg.days} />
          </section>
          <section aria-labelledby={`${id}-models`} className="mt-6">
            <h2 id={`${id}-models`} className="mb-2 font-semibold">
              By model
            </h2>
            {agg.models.length === 0 ? (
              <p className="text-muted">No usage in this period yet.</p>
            ) : (
              <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Spend by model">
                <table className="w-full min-w-[620px] text-left text-sm">
                  <thead className="border-b border-line text-muted">
                    <tr>
                      <th scope="col" className="py-2 pr-3 font-medium">Model</th>
                      <th scope="col" className="py-2 pr-3 font-medium">Provider</th>
                      <th scope="col" className="py-2 pr-3 text-right font-medium">Requests</th>
                      <th scope="col" className="py-2 pr-3 text-right font-medium">Tokens in / out</th>
                      <th scope="col" className="py-2 pr-3 text-right font-medium">Images</th>
                      <th scope="col" className="py-2 pr-3 text-right font-medium">Saved by cache</th>
                      <th scope="col" className="py-2 text-right font-medium">Cost</th>
                    </tr>
                  </thead>
                  <tbody>
                    {agg.models.map((m) => (
                      <tr key={m.model} className="border-b border-line">
                        <th scope="row" className="py-2 pr-3 font-medium">{m.model}</th>
                        <td className="py-2 pr-3">{m.provider}</td>
                        <td className="py-2 pr-3 text-right">{formatTokens(m.requests)}</td>
                        <td className="py-2 pr-3 text-right">
                          {formatTokens(m.inputTokens)} / {formatTokens(m.outputTokens)}
                        </td>
                        <td className="py-2 pr-3 text-right">{formatTokens(m.images)}</td>
                        <td className="py-2 pr-3 text-right">{m.cacheHits > 0 ? `${formatUsd(m.saved)} (${formatTokens(m.cacheHits)})` : "—"}</td>
                        <td className="py-2 text-right">{formatUsd(m.cost)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section aria-labelledby={`${id}-keys`} className="mt-6">
            <h2 id={`${id}-keys`} className="mb-2 font-semibold">
              By key
            </h2>
            <UsageByKey rows={report.keys ?? []} />
          </section>
        </>
      ) : !error && range ? (
        <p className="text-muted" role="status">
          Loading…
        </p>
      ) : null}
    </AppShell>
  );
}
