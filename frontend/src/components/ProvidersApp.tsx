"use client";

import { useEffect, useState } from "react";
import { api } from "@/api/client";
import { fromResponse, networkError, type AppError } from "@/api/errors";
import type { BudgetStatus, ProviderHealth } from "@/api/types";
import { formatDateTime, formatTime, formatUsd } from "@/lib/format";
import { breakerLabel, breakerTone, budgetShares, overall, type Tone } from "@/lib/providers";
import { AppShell, PageTitle } from "./AppShell";
import { useMe } from "@/hooks/useMe";
import { ErrorBanner } from "./ErrorBanner";
import { ModelCatalog } from "./ModelCatalog";
import { ProviderCheckButton } from "./ProviderCheckButton";

const POLL_MS = 5000;

type Load =
  | { kind: "loading" }
  | { kind: "unavailable" }
  | { kind: "error"; error: AppError }
  | { kind: "ok"; providers: ProviderHealth[]; at: Date };

const TONES: Record<Tone, string> = {
  ok: "bg-ok-soft text-ok",
  warn: "bg-warn-soft text-warn",
  bad: "bg-danger-soft text-danger",
  none: "bg-surface-2 text-muted",
};
const BARS: Record<Tone, string> = { ok: "bg-ok", warn: "bg-warn", bad: "bg-danger", none: "bg-muted" };

function Budget({ budget }: { budget: BudgetStatus }) {
  const { spent, reserved, tone } = budgetShares(budget);
  const label = `${budget.period} budget`;
  return (
    <div>
      <div className="flex flex-wrap justify-between gap-x-2 text-xs">
        <span className="capitalize">{label}</span>
        <span className="text-muted">
          {formatUsd(budget.spent_usd)} spent
          {Number(budget.reserved_usd) > 0 ? ` + ${formatUsd(budget.reserved_usd)} reserved` : ""} of {formatUsd(budget.limit_usd)} · resets{" "}
          {formatDateTime(budget.resets_at)}
        </span>
      </div>
      <div
        className="mt-1 flex h-2 overflow-hidden rounded bg-surface-2"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round((spent + reserved) * 100)}
        aria-valuetext={`${Math.round((spent + reserved) * 100)} % used`}
      >
        <div className={BARS[tone]} style={{ width: `${spent * 100}%` }} />
        <div className={`${BARS[tone]} opacity-50`} style={{ width: `${reserved * 100}%` }} />
      </div>
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt className="text-xs text-muted">{label}</dt>
      <dd className="font-medium">{value}</dd>
    </div>
  );
}

function ProviderCard({ p }: { p: ProviderHealth }) {
  const me = useMe();
  const state = overall(p);
  const room = p.headroom;
  return (
    <li className="space-y-3 rounded-xl border border-line bg-surface p-4" data-testid="provider">
      <div className="flex flex-wrap items-center gap-2">
        <h2 className="mr-auto font-semibold">
          {p.name} <span className="text-sm font-normal text-muted">({p.type})</span>
        </h2>
        <span className={`rounded px-2 py-0.5 text-xs font-medium ${TONES[state.tone]}`}>{state.label}</span>
      </div>
      <p className="text-sm">
        Breaker:{" "}
        <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${TONES[breakerTone(p.breaker)]}`}>{breakerLabel(p.breaker)}</span>
        {p.breaker_open_until ? <span className="text-muted"> until {formatDateTime(p.breaker_open_until)}</span> : null}
      </p>
      {p.budgets.map((b) => (
        <Budget key={`${b.scope}-${b.period}`} budget={b} />
      ))}
      {p.budgets.length === 0 ? <p className="text-sm text-muted">No budget configured.</p> : null}
      {p.budget_status !== "ok" ? <p className="text-sm text-warn">Budgets cannot be read right now ({p.budget_status}).</p> : null}
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
        <Stat label="In flight" value={p.in_flight === null ? "—" : `${p.in_flight}${p.max_concurrent ? ` / ${p.max_concurrent}` : ""}`} />
        <Stat label="Queued" value={p.queued === null ? "—" : String(p.queued)} />
        <Stat label="Requests left" value={room?.remaining_requests === null || room === null ? "—" : String(room.remaining_requests)} />
        <Stat label="Tokens left" value={room?.remaining_tokens === null || room === null ? "—" : String(room.remaining_tokens)} />
      </dl>
      {room?.blocked_until ? <p className="text-sm text-warn">Rate limited by the provider until {formatDateTime(room.blocked_until)}.</p> : null}
      {p.last_error ? (
        <p className="text-sm">
          <span className="text-muted">Last error ({formatDateTime(p.last_error.at)}):</span>{" "}
          <span className="font-mono text-xs">{p.last_error.code}</span> {p.last_error.message}
        </p>
      ) : null}
      {me.is_admin ? <ProviderCheckButton name={p.name} /> : null}
    </li>
  );
}

export function ProvidersApp() {
  const [load, setLoad] = useState<Load>({ kind: "loading" });

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function poll() {
      try {
        const { data, error, response } = await api().GET("/health/providers");
        if (!live) return;
        if (response.status === 404) {
          setLoad({ kind: "unavailable" });
          return; // an older server: nothing to poll
        }
        if (data) setLoad({ kind: "ok", providers: data.providers, at: new Date() });
        else setLoad({ kind: "error", error: fromResponse(response, error) });
      } catch (e) {
        if (live) setLoad({ kind: "error", error: networkError(e) });
      }
      if (live) timer = setTimeout(poll, document.hidden ? POLL_MS * 3 : POLL_MS);
    }
    void poll();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, []);

  return (
    <AppShell>
      <PageTitle sub="Live state of each model provider: breaker, budgets, rate-limit headroom and load; and the models they serve, with their prices.">Providers</PageTitle>
      {load.kind === "loading" ? <p className="text-muted">Loading…</p> : null}
      {load.kind === "unavailable" ? (
        <p className="rounded-lg border border-line bg-surface p-4" data-testid="providers-unavailable">
          Provider status is not available on this server.
        </p>
      ) : null}
      {load.kind === "error" ? <ErrorBanner error={load.error} /> : null}
      {load.kind === "ok" ? (
        <>
          <p className="mb-3 text-sm text-muted" aria-live="off">
            Updated {formatTime(load.at)} · refreshes every 5 s
          </p>
          {load.providers.length === 0 ? <p className="text-muted">No providers configured.</p> : null}
          <ul className="grid gap-4 md:grid-cols-2">
            {load.providers.map((p) => (
              <ProviderCard key={p.name} p={p} />
            ))}
          </ul>
        </>
      ) : null}
      <ModelCatalog />
    </AppShell>
  );
}
