"use client";

import { useId, useState, type FormEvent } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { AdminLimitsOut, AdminUserDetail } from "@/api/types";
import { formatTokens, formatUsd } from "@/lib/format";
import { ErrorBanner } from "../ErrorBanner";

type Field = "daily_budget_usd" | "monthly_budget_usd" | "rpm" | "tpm";
const FIELDS: { name: Field; label: string; money: boolean }[] = [
  { name: "daily_budget_usd", label: "Daily budget (USD)", money: true },
  { name: "monthly_budget_usd", label: "Monthly budget (USD)", money: true },
  { name: "rpm", label: "Requests per minute", money: false },
  { name: "tpm", label: "Tokens per minute", money: false },
];

function shown(value: string | number | null | undefined, money: boolean): string {
  if (value === null || value === undefined) return "no limit";
  return money ? formatUsd(value) : formatTokens(Number(value));
}

function initial(override: AdminLimitsOut | null): Record<Field, string> {
  const text = (v: string | number | null | undefined) => (v === null || v === undefined ? "" : String(Number(v)));
  return {
    daily_budget_usd: text(override?.daily_budget_usd),
    monthly_budget_usd: text(override?.monthly_budget_usd),
    rpm: text(override?.rpm),
    tpm: text(override?.tpm),
  };
}

/** A user's overrides; an empty field keeps the server's default (shown beside it). */
export function LimitsEditor({ user, onSaved }: { user: AdminUserDetail; onSaved: () => void }) {
  const id = useId();
  const [values, setValues] = useState(() => initial(user.limits.override));
  const [error, setError] = useState<AppError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  async function save(body: Record<Field, string>) {
    setBusy(true);
    setError(null);
    setSaved(false);
    const number = (v: string) => (v.trim() === "" ? null : Number(v));
    try {
      const { data, error: err, response } = await api().PUT("/api/v1/admin/users/{user_id}/limits", {
        params: { path: { user_id: user.id } },
        body: {
          daily_budget_usd: body.daily_budget_usd.trim() || null,
          monthly_budget_usd: body.monthly_budget_usd.trim() || null,
          rpm: number(body.rpm),
          tpm: number(body.tpm),
        },
      });
      if (data) {
        setValues(initial(data.override));
        setSaved(true);
        onSaved();
      } else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
    setBusy(false);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void save(values);
  }

  return (
    <form onSubmit={submit} aria-labelledby={`${id}-title`} className="space-y-3">
      <h3 id={`${id}-title`} className="font-semibold">
        Budget and rate limits
      </h3>
      <p className="text-sm text-muted">Leave a field empty for the server default. Applied to this user&apos;s next chat and API call.</p>
      <div className="grid gap-3 sm:grid-cols-2">
        {FIELDS.map((f) => (
          <div key={f.name}>
            <label htmlFor={`${id}-${f.name}`} className="mb-1 block text-sm font-medium">
              {f.label}
            </label>
            <input
              id={`${id}-${f.name}`}
              inputMode={f.money ? "decimal" : "numeric"}
              value={values[f.name]}
              onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
              aria-describedby={`${id}-${f.name}-default`}
              className="w-full rounded-md border border-field bg-bg px-3 py-1.5"
            />
            <p id={`${id}-${f.name}-default`} className="mt-0.5 text-xs text-muted">
              Default: {shown(user.limits.defaults[f.name], f.money)} · now: {shown(user.limits.effective[f.name], f.money)}
            </p>
          </div>
        ))}
      </div>
      {error ? <ErrorBanner error={error} /> : null}
      {saved ? (
        <p role="status" className="text-sm">
          Saved.
        </p>
      ) : null}
      <div className="flex flex-wrap gap-2">
        <button type="submit" disabled={busy} className="rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60">
          Save limits
        </button>
        <button
          type="button"
          disabled={busy || !user.limits.override}
          onClick={() => void save({ daily_budget_usd: "", monthly_budget_usd: "", rpm: "", tpm: "" })}
          className="rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2 disabled:opacity-60"
        >
          Reset to defaults
        </button>
      </div>
    </form>
  );
}
