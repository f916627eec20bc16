"use client";

import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { Team, TeamDetail } from "@/api/types";
import { useMe } from "@/hooks/useMe";
import { AppShell, PageTitle } from "./AppShell";
import { ErrorBanner } from "./ErrorBanner";
import { TeamPanel } from "./TeamPanel";

function CreateTeam({ onCreated }: { onCreated: (t: TeamDetail) => void }) {
  const id = useId();
  const [name, setName] = useState("");
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      const { data, error: err, response } = await api().POST("/api/v1/teams", { body: { name } });
      if (data) {
        setName("");
        setError(null);
        onCreated(data);
      } else setError(fromResponse(response, err));
    } catch (e2) {
      setError(networkError(e2));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-2" aria-label="New team">
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-48 flex-1">
          <label htmlFor={`${id}-name`} className="mb-1 block text-sm font-medium">
            New team's name
          </label>
          <input id={`${id}-name`} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} className="w-full rounded-md border border-field bg-bg px-3 py-2" />
        </div>
        <button type="submit" disabled={busy} className="rounded-md bg-accent px-4 py-2 font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60">
          Create team
        </button>
      </div>
      {error ? <ErrorBanner error={error} /> : null}
    </form>
  );
}

function Teams() {
  const me = useMe();
  const [teams, setTeams] = useState<Team[] | null>(null);
  const [selected, setSelected] = useState<TeamDetail | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const loadTeams = useCallback(async () => {
    try {
      const { data, error: err, response } = await api().GET("/api/v1/teams");
      if (data) setTeams(data);
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }, []);

  /** Show a team; `auto` (the first team, opened on arrival) never replaces a team the person
   * picked or just created while it loaded. */
  const open = useCallback(async (teamId: string, auto = false) => {
    try {
      const { data, error: err, response } = await api().GET("/api/v1/teams/{team_id}", { params: { path: { team_id: teamId } } });
      if (data) {
        setSelected((current) => (auto && current !== null ? current : data));
        setError(null);
      } else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }, []);

  useEffect(() => {
    void loadTeams();
  }, [loadTeams]);

  useEffect(() => {
    const first = teams?.[0];
    if (selected === null && first) void open(first.id, true);
  }, [teams, selected, open]);

  return (
    <div className="space-y-6">
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      {me.is_admin ? (
        <CreateTeam
          onCreated={(t) => {
            setSelected(t);
            void loadTeams();
          }}
        />
      ) : null}
      {teams === null ? (
        <p role="status" className="text-muted">
          Loading teams…
        </p>
      ) : teams.length === 0 ? (
        <p className="text-muted">{me.is_admin ? "No teams yet." : "You do not manage a team. A team's admins and Lockgate's administrators manage its members and keys."}</p>
      ) : (
        <nav aria-label="Teams">
          <ul className="flex flex-wrap gap-2">
            {teams.map((t) => (
              <li key={t.id}>
                <button
                  type="button"
                  aria-current={selected?.id === t.id ? "true" : undefined}
                  onClick={() => void open(t.id)}
                  className={`rounded-md border px-3 py-1.5 text-sm ${selected?.id === t.id ? "border-accent bg-accent-soft font-medium" : "border-line hover:bg-surface-2"}`}
                >
                  {t.name} <span className="text-muted">· {t.member_count}</span>
                </button>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {selected ? (
        <TeamPanel
          key={selected.id}
          team={selected}
          isAdmin={me.is_admin}
          onChanged={(t) => {
            if (t) setSelected(t);
            else void open(selected.id);
            void loadTeams();
          }}
          onDeleted={() => {
            setSelected(null);
            void loadTeams();
          }}
        />
      ) : null}
    </div>
  );
}

export function TeamsApp() {
  return (
    <AppShell>
      <PageTitle sub="Members, budgets and rate limits per team. Changes apply on every replica within a second.">Teams</PageTitle>
      <Teams />
    </AppShell>
  );
}
