"use client";

import type { ReactNode } from "react";
import type { ApiKey } from "@/api/types";
import { formatDateTime, formatIn, formatRelative, formatTokens, formatUsd } from "@/lib/format";

const BADGE: Record<ApiKey["status"], string> = {
  active: "bg-ok-soft text-ok",
  expired: "bg-warn-soft text-warn",
  revoked: "bg-danger-soft text-danger",
};

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-muted">{label}</dt>
      <dd className="break-words text-sm" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

/** "$0.0012 of $5.00 (resets …) · $4.9988 left", or only the spend when there is no budget. */
function Budget({ spent, limit, left, resets, now }: { spent: string; limit: string | null; left: string | null; resets: string; now: number }) {
  if (limit === null || left === null) return <>{formatUsd(spent)}</>;
  const over = Number(left) <= 0;
  return (
    <>
      {formatUsd(spent)} <span className="text-muted">of {formatUsd(limit)}</span>
      <br />
      <span className={over ? "font-medium text-danger" : "text-muted"}>{over ? "Budget used up" : `${formatUsd(left)} left`}</span>
      {Date.parse(resets) > now ? (
        <span className="text-muted" title={`Resets ${formatDateTime(resets)}`}>
          {" "}
          · resets {formatIn(resets, now)}
        </span>
      ) : null}
    </>
  );
}

export function KeyList({ keys, onRevoke, now = Date.now() }: { keys: ApiKey[]; onRevoke: (key: ApiKey) => void; now?: number }) {
  if (keys.length === 0) return <p className="text-muted">You have no API keys yet.</p>;
  return (
    <ul className="space-y-3" data-testid="keys">
      {keys.map((k) => (
        <li key={k.id} className={`rounded-xl border border-line p-4 ${k.status === "active" ? "" : "bg-surface"}`} data-testid="key" data-key-id={k.id}>
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <h3 className="min-w-0 break-words font-semibold">{k.name}</h3>
            <code className="rounded bg-code px-1.5 py-0.5 text-xs" aria-label="Key prefix">
              {k.prefix}…
            </code>
            <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${BADGE[k.status]}`} data-testid="key-status">
              {k.status === "active" ? "Active" : k.status === "expired" ? "Expired" : "Revoked"}
            </span>
            {k.status === "revoked" ? null : (
              <button type="button" onClick={() => onRevoke(k)} className="ml-auto rounded-md border border-line px-3 py-1 text-sm hover:bg-surface-2" aria-label={`Revoke ${k.name}`}>
                Revoke
              </button>
            )}
          </div>
          <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-2 sm:grid-cols-4">
            <Fact label="Created">{formatDateTime(k.created_at)}</Fact>
            <Fact label={k.status === "revoked" ? "Revoked" : "Expires"}>
              {k.status === "revoked" && k.revoked_at ? formatDateTime(k.revoked_at) : k.expires_at ? formatDateTime(k.expires_at) : "Never"}
            </Fact>
            <Fact label="Last used" testId="key-last-used">
              {k.last_used_at ? <span title={formatDateTime(k.last_used_at)}>{formatRelative(k.last_used_at, now)}</span> : "Never"}
            </Fact>
            <Fact label="Models">{k.allowed_models ? k.allowed_models.join(", ") : "All"}</Fact>
            <Fact label="Spent today" testId="key-spend-today">
              <Budget spent={k.spend.today_usd} limit={k.daily_budget_usd} left={k.spend.daily_remaining_usd} resets={k.spend.day_resets_at} now={now} />
            </Fact>
            <Fact label="Spent this month" testId="key-spend-month">
              <Budget spent={k.spend.month_usd} limit={k.monthly_budget_usd} left={k.spend.monthly_remaining_usd} resets={k.spend.month_resets_at} now={now} />
            </Fact>
            <Fact label="Rate limits">
              {k.rpm || k.tpm ? [k.rpm ? `${formatTokens(k.rpm)} requests/min` : "", k.tpm ? `${formatTokens(k.tpm)} tokens/min` : ""].filter(Boolean).join(", ") : "Default"}
            </Fact>
          </dl>
        </li>
      ))}
    </ul>
  );
}
