"use client";

import { useId, useState, type FormEvent } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { Spend, TeamDetail, TeamRole } from "@/api/types";
import { formatDateTime, formatUsd } from "@/lib/format";
import { limitsForm, parseLimits, type LimitsForm } from "@/lib/teams";
import { ErrorBanner } from "./ErrorBanner";
import { TeamKeys } from "./TeamKeys";

const FIELD = "w-full rounded-md border border-field bg-bg px-3 py-2";
const BUTTON = "rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2 disabled:opacity-60";
const PRIMARY = "rounded-md bg-accent px-4 py-2 font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60";

type Call = () => Promise<{ response: Response; error?: unknown }>;

/** Runs an API call; returns the error to show, or null when it worked. */
async function attempt(call: Call): Promise<AppError | null> {
  try {
    const { response, error } = await call();
    return response.ok ? null : fromResponse(response, error);
  } catch (e) {
    return networkError(e);
  }
}

function SpendMeter({ spend }: { spend: Spend }) {
  const limit = Number(spend.limit_usd);
  const used = limit > 0 ? Math.min(1, (Number(spend.spent_usd) + Number(spend.reserved_usd)) / limit) : 1;
  const tone = used >= 1 ? "bg-danger" : used >= 0.9 ? "bg-warn" : "bg-ok";
  const label = `${spend.period} budget`;
  return (
    <div>
      <div className="flex flex-wrap justify-between gap-x-2 text-sm">
        <span className="capitalize">{label}</span>
        <span className="text-muted">
          {formatUsd(spend.spent_usd)} spent
          {Number(spend.reserved_usd) > 0 ? ` + ${formatUsd(spend.reserved_usd)} in flight` : ""} of {formatUsd(spend.limit_usd)} · resets {formatDateTime(spend.resets_at)}
        </span>
      </div>
      <div
        className="mt-1 h-2 overflow-hidden rounded bg-surface-2"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(used * 100)}
        aria-valuetext={`${Math.round(used * 100)} % used`}
      >
        <div className={`h-full ${tone}`} style={{ width: `${used * 100}%` }} />
      </div>
    </div>
  );
}

const LIMIT_FIELDS: { key: keyof LimitsForm; label: string; hint: string }[] = [
  { key: "daily_usd", label: "Daily budget (USD)", hint: "Resets every day" },
  { key: "monthly_usd", label: "Monthly budget (USD)", hint: "Resets on the 1st" },
  { key: "rpm", label: "Requests per minute", hint: "Across the team's keys" },
  { key: "tpm", label: "Tokens per minute", hint: "Across the team's keys" },
];

function LimitsEditor({ team, onSaved }: { team: TeamDetail; onSaved: (t: TeamDetail) => void }) {
  const id = useId();
  const [form, setForm] = useState<LimitsForm>(() => limitsForm(team.limits));
  const [error, setError] = useState<AppError | null>(null);
  const [invalid, setInvalid] = useState<{ field: keyof LimitsForm; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    setError(null);
    const parsed = parseLimits(form);
    if (!parsed.ok) {
      setInvalid({ field: parsed.field, message: parsed.message });
      return;
    }
    setInvalid(null);
    setBusy(true);
    let updated: TeamDetail | undefined;
    const failure = await attempt(async () => {
      const result = await api().PUT("/api/v1/teams/{team_id}/limits", { params: { path: { team_id: team.id } }, body: parsed.body });
      updated = result.data;
      return result;
    });
    setBusy(false);
    if (failure) setError(failure);
    else if (updated) {
      setSaved(true);
      onSaved(updated);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Budgets and limits">
      <div className="grid gap-3 sm:grid-cols-2">
        {LIMIT_FIELDS.map(({ key, label, hint }) => (
          <div key={key}>
            <label htmlFor={`${id}-${key}`} className="mb-1 block text-sm font-medium">
              {label}
            </label>
            <input
              id={`${id}-${key}`}
              inputMode={key.endsWith("usd") ? "decimal" : "numeric"}
              value={form[key]}
              placeholder="No limit"
              aria-invalid={invalid?.field === key ? true : undefined}
              aria-describedby={`${id}-${key}-hint`}
              onChange={(e) => setForm({ ...form, [key]: e.target.value })}
              className={FIELD}
            />
            <p id={`${id}-${key}-hint`} className={`mt-1 text-xs ${invalid?.field === key ? "text-danger" : "text-muted"}`}>
              {invalid?.field === key ? invalid.message : hint}
            </p>
          </div>
        ))}
      </div>
      {error ? <ErrorBanner error={error} /> : null}
      {saved ? (
        <p role="status" className="text-sm text-ok">
          Saved. Every replica applies it within a second.
        </p>
      ) : null}
      <button type="submit" disabled={busy} className={PRIMARY}>
        Save limits
      </button>
    </form>
  );
}

function AddMember({ team, onAdded }: { team: TeamDetail; onAdded: () => void }) {
  const id = useId();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<TeamRole>("member");
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const failure = await attempt(() => api().POST("/api/v1/teams/{team_id}/members", { params: { path: { team_id: team.id } }, body: { email, role } }));
    setBusy(false);
    setError(failure);
    if (!failure) {
      setEmail("");
      onAdded();
    }
  }

  return (
    <form onSubmit={submit} className="space-y-2" aria-label="Add a member">
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-48 flex-1">
          <label htmlFor={`${id}-email`} className="mb-1 block text-sm font-medium">
            Member's email
          </label>
          <input id={`${id}-email`} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} className={FIELD} />
        </div>
        <div>
          <label htmlFor={`${id}-role`} className="mb-1 block text-sm font-medium">
            Role
          </label>
          <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as TeamRole)} className={FIELD}>
            <option value="member">Member</option>
            <option value="admin">Team admin</option>
          </select>
        </div>
        <button type="submit" disabled={busy} className={PRIMARY}>
          Add member
        </button>
      </div>
      {error ? <ErrorBanner error={error} /> : null}
    </form>
  );
}

function Members({ team, onChanged }: { team: TeamDetail; onChanged: () => void }) {
  const [error, setError] = useState<AppError | null>(null);
  const path = (user_id: string) => ({ params: { path: { team_id: team.id, user_id } } });

  async function run(call: Call) {
    const failure = await attempt(call);
    setError(failure);
    if (!failure) onChanged();
  }

  return (
    <div className="space-y-3">
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      {team.members.length === 0 ? <p className="text-sm text-muted">No members yet.</p> : null}
      <ul hidden={team.members.length === 0} className="divide-y divide-line rounded-lg border border-line" data-testid="members">
        {team.members.map((m) => (
          <li key={m.user_id} className="flex flex-wrap items-center gap-2 px-3 py-2">
            <span className="mr-auto min-w-0 truncate">{m.email}</span>
            <label className="sr-only" htmlFor={`role-${m.user_id}`}>
              Role of {m.email}
            </label>
            <select
              id={`role-${m.user_id}`}
              value={m.role}
              onChange={(e) => void run(() => api().PATCH("/api/v1/teams/{team_id}/members/{user_id}", { ...path(m.user_id), body: { role: e.target.value as TeamRole } }))}
              className="rounded-md border border-field bg-bg px-2 py-1 text-sm"
            >
              <option value="member">Member</option>
              <option value="admin">Team admin</option>
            </select>
            <button type="button" className={BUTTON} aria-label={`Remove ${m.email}`} onClick={() => void run(() => api().DELETE("/api/v1/teams/{team_id}/members/{user_id}", path(m.user_id)))}>
              Remove
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** One team: spend against its budgets, its limits (admins edit them), its members, its keys. */
export function TeamPanel({
  team,
  isAdmin,
  onChanged,
  onDeleted,
}: {
  team: TeamDetail;
  isAdmin: boolean;
  onChanged: (t?: TeamDetail) => void;
  onDeleted: () => void;
}) {
  const [error, setError] = useState<AppError | null>(null);

  async function remove() {
    if (!window.confirm(`Delete the team ${team.name}? Its members and keys stay, without a team.`)) return;
    const failure = await attempt(() => api().DELETE("/api/v1/teams/{team_id}", { params: { path: { team_id: team.id } } }));
    setError(failure);
    if (!failure) onDeleted();
  }

  return (
    <article className="space-y-6 rounded-xl border border-line bg-surface p-4" aria-labelledby={`team-${team.id}`}>
      <div className="flex flex-wrap items-center gap-2">
        <h2 id={`team-${team.id}`} className="mr-auto text-xl font-semibold">
          {team.name}
        </h2>
        {isAdmin ? (
          <button type="button" className={`${BUTTON} text-danger`} onClick={() => void remove()}>
            Delete team
          </button>
        ) : null}
      </div>
      {error ? <ErrorBanner error={error} /> : null}
      <section aria-label="Spend" className="space-y-3">
        <h3 className="font-semibold">Spend</h3>
        {team.spend === null ? <p className="text-sm text-warn">Spend cannot be read right now.</p> : null}
        {team.spend?.length === 0 ? <p className="text-sm text-muted">This team has no budget.</p> : null}
        {team.spend?.map((s) => <SpendMeter key={s.period} spend={s} />)}
      </section>
      <section aria-label="Budgets and limits" className="space-y-3">
        <h3 className="font-semibold">Budgets and limits</h3>
        {isAdmin ? (
          <LimitsEditor key={team.id} team={team} onSaved={onChanged} />
        ) : (
          <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
            {LIMIT_FIELDS.map(({ key, label }) => (
              <div key={key}>
                <dt className="text-muted">{label}</dt>
                <dd className="font-medium">{team.limits[key] == null ? "No limit" : key.endsWith("usd") ? formatUsd(team.limits[key]) : Number(team.limits[key]).toLocaleString()}</dd>
              </div>
            ))}
          </dl>
        )}
      </section>
      <section aria-label="Members" className="space-y-3">
        <h3 className="font-semibold">Members ({team.members.length})</h3>
        <Members team={team} onChanged={() => onChanged()} />
        <AddMember team={team} onAdded={() => onChanged()} />
      </section>
      <section aria-label="API keys" className="space-y-3">
        <h3 className="font-semibold">API keys</h3>
        <TeamKeys key={team.id} team={team} />
      </section>
    </article>
  );
}
