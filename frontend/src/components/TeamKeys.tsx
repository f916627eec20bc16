"use client";

import { useCallback, useEffect, useId, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { ApiKeyCreated, TeamDetail, TeamKey } from "@/api/types";
import { useAllModels } from "@/hooks/useModels";
import { formatDateTime, formatUsd } from "@/lib/format";
import { snippetModel } from "@/lib/keys";
import { ErrorBanner } from "./ErrorBanner";
import { ConfirmDialog } from "./keys/ConfirmDialog";
import { CreateKeyForm } from "./keys/CreateKeyForm";
import { NewKeySecret } from "./keys/NewKeySecret";

const BUTTON = "rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2 disabled:opacity-60";

function budgets(key: TeamKey): string {
  const parts = [
    key.daily_budget_usd != null ? `${formatUsd(key.daily_budget_usd)} a day` : "",
    key.monthly_budget_usd != null ? `${formatUsd(key.monthly_budget_usd)} a month` : "",
  ].filter(Boolean);
  return parts.length ? parts.join(" · ") : "No budget of its own";
}

/**
 * The keys that pay into a team: team admins (and admins) create one (the secret shown once,
 * with the same snippets as the API keys page), see them all with their owner, and revoke one.
 */
export function TeamKeys({ team }: { team: TeamDetail }) {
  const id = useId();
  const [keys, setKeys] = useState<TeamKey[] | null>(null);
  const models = useAllModels();
  const [fresh, setFresh] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<TeamKey | null>(null);
  const [busy, setBusy] = useState(false);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const path = { params: { path: { team_id: team.id } } };

  const load = useCallback(async () => {
    try {
      const { data, error: err, response } = await api().GET("/api/v1/teams/{team_id}/keys", { params: { path: { team_id: team.id } } });
      if (data) setKeys(data);
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }, [team.id]);

  useEffect(() => {
    void load();
  }, [load]);

  async function revoke(key: TeamKey) {
    setBusy(true);
    try {
      const { error: err, response } = await api().DELETE("/api/v1/teams/{team_id}/keys/{key_id}", { params: { path: { team_id: team.id, key_id: key.id } } });
      if (response.ok) await load();
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  }

  const active = keys?.filter((k) => !k.revoked_at) ?? [];
  const revoked = keys?.filter((k) => k.revoked_at) ?? [];
  return (
    <div className="space-y-4">
      {fresh ? (
        <NewKeySecret
          created={fresh}
          origin={typeof window === "undefined" ? "" : window.location.origin}
          model={snippetModel(fresh.allowed_models, models.filter((m) => m.kind === "chat"))}
          onDone={() => setFresh(null)}
        />
      ) : null}
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      {keys === null && !error ? (
        <p className="text-sm text-muted" role="status">
          Loading…
        </p>
      ) : null}
      {keys !== null && keys.length === 0 ? <p className="text-sm text-muted">No key pays into this team yet.</p> : null}
      <ul hidden={active.length === 0} className="divide-y divide-line rounded-lg border border-line" data-testid="team-keys">
        {active.map((k) => (
          <li key={k.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 text-sm">
            <span className="mr-auto min-w-0">
              <span className="font-medium">{k.name}</span> <code className="rounded bg-code px-1 text-xs">{k.prefix}…</code>
              <span className="block text-xs text-muted">
                {k.owner_email} · {budgets(k)}
              </span>
            </span>
            <button type="button" className={`${BUTTON} text-danger`} aria-label={`Revoke ${k.name}`} onClick={() => setRevoking(k)}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
      {revoked.length > 0 ? (
        <details className="text-sm">
          <summary className="cursor-pointer text-muted">Revoked keys ({revoked.length})</summary>
          <ul className="mt-2 space-y-1">
            {revoked.map((k) => (
              <li key={k.id}>
                {k.name} <code className="rounded bg-code px-1 text-xs">{k.prefix}…</code> · {k.owner_email} · revoked {formatDateTime(k.revoked_at ?? "")}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      <div className="rounded-lg border border-line p-3">
        <button
          type="button"
          aria-expanded={creating}
          aria-controls={creating ? `${id}-create` : undefined}
          onClick={() => setCreating((open) => !open)}
          className="font-medium hover:underline"
        >
          {creating ? "Hide the new key form" : "Create a team key"}
        </button>
        {creating ? (
          <div id={`${id}-create`}>
            <p className="mb-3 mt-1 text-sm text-muted">The key is yours and pays into {team.name}: the team's budgets and limits apply to it.</p>
            <CreateKeyForm
              models={models}
              label={`Create a key for ${team.name}`}
              create={(body) => api().POST("/api/v1/teams/{team_id}/keys", { ...path, body })}
              onCreated={(key) => {
                setFresh(key);
                setCreating(false);
                void load();
              }}
            />
          </div>
        ) : null}
      </div>
      {revoking ? (
        <ConfirmDialog title={`Revoke “${revoking.name}”?`} confirmLabel="Revoke key" busy={busy} onConfirm={() => void revoke(revoking)} onCancel={() => setRevoking(null)}>
          <p>
            Programs using <code className="rounded bg-code px-1">{revoking.prefix}…</code> (owned by {revoking.owner_email}) are refused at once, on every server. This cannot be
            undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
