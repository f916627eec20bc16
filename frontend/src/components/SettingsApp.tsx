"use client";

import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { Session } from "@/api/types";
import { useMe } from "@/hooks/useMe";
import { formatDateTime } from "@/lib/format";
import { AppShell, PageTitle } from "./AppShell";
import { ErrorBanner } from "./ErrorBanner";
import { DataSettings } from "./transfer/DataSettings";
import { SharedLinks } from "./transfer/SharedLinks";

/** A short, readable name for a User-Agent string. */
export function describeAgent(ua: string): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : /curl\//i.test(ua)
            ? "curl"
            : null;
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS X/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? ua.slice(0, 60);
}

function PasswordForm({ onChanged }: { onChanged: () => void }) {
  const id = useId();
  const me = useMe();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [done, setDone] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const { response, error: err } = await api().POST("/api/v1/auth/password", {
        body: { current_password: current, new_password: next },
      });
      if (response.ok) {
        setDone(true);
        setCurrent("");
        setNext("");
        onChanged();
      } else setError(fromResponse(response, err));
    } catch (e2) {
      setError(networkError(e2));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="max-w-md space-y-3">
      {/* Lets password managers tie the new password to the account. */}
      <input type="email" autoComplete="username" value={me.email} readOnly hidden />
      <div>
        <label htmlFor={`${id}-current`} className="mb-1 block text-sm font-medium">
          Current password
        </label>
        <input id={`${id}-current`} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} className="w-full rounded-md border border-field bg-bg px-3 py-2" />
      </div>
      <div>
        <label htmlFor={`${id}-new`} className="mb-1 block text-sm font-medium">
          New password
        </label>
        <input id={`${id}-new`} type="password" autoComplete="new-password" required minLength={10} value={next} onChange={(e) => setNext(e.target.value)} aria-describedby={`${id}-hint`} className="w-full rounded-md border border-field bg-bg px-3 py-2" />
        <p id={`${id}-hint`} className="mt-1 text-xs text-muted">
          Changing it signs out your other sessions.
        </p>
      </div>
      {error ? <ErrorBanner error={error} /> : null}
      {done ? (
        <p role="status" className="text-sm text-ok">
          Password changed. Your other sessions were signed out.
        </p>
      ) : null}
      <button type="submit" disabled={busy} className="rounded-md bg-accent px-4 py-2 font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60">
        Change password
      </button>
    </form>
  );
}

function Sessions({ version }: { version: number }) {
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const load = useCallback(async () => {
    try {
      const { data, error: err, response } = await api().GET("/api/v1/auth/sessions");
      if (data) setSessions(data);
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load, version]);

  async function revoke(s: Session) {
    try {
      const { response, error: err } = await api().DELETE("/api/v1/auth/sessions/{session_id}", {
        params: { path: { session_id: s.id } },
      });
      if (response.ok) setSessions((prev) => prev?.filter((x) => x.id !== s.id) ?? null);
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }

  return (
    <div>
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      {sessions === null ? <p className="text-muted">Loading…</p> : null}
      <ul className="divide-y divide-line rounded-xl border border-line" data-testid="sessions">
        {sessions?.map((s) => (
          <li key={s.id} className="flex flex-wrap items-center gap-3 p-3">
            <div className="min-w-0 flex-1">
              <p className="font-medium">
                {describeAgent(s.user_agent)}
                {s.current ? <span className="ml-2 rounded bg-ok-soft px-1.5 py-0.5 text-xs text-ok">This device</span> : null}
              </p>
              <p className="text-xs text-muted">
                {s.ip || "unknown address"} · signed in {formatDateTime(s.created_at)} · last active {formatDateTime(s.last_seen_at)}
              </p>
            </div>
            {s.current ? null : (
              <button type="button" onClick={() => void revoke(s)} className="rounded-md border border-line px-3 py-1 text-sm hover:bg-surface-2">
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function SettingsApp() {
  const [version, setVersion] = useState(0);
  return (
    <AppShell>
      <PageTitle>Settings</PageTitle>
      <section aria-labelledby="pw" className="mb-10">
        <h2 id="pw" className="mb-3 text-lg font-semibold">
          Change password
        </h2>
        <PasswordForm onChanged={() => setVersion((v) => v + 1)} />
      </section>
      <section aria-labelledby="sessions">
        <h2 id="sessions" className="mb-3 text-lg font-semibold">
          Active sessions
        </h2>
        <Sessions version={version} />
      </section>
      <section aria-labelledby="data" className="mt-10">
        <h2 id="data" className="mb-3 text-lg font-semibold">
          Your data
        </h2>
        <DataSettings />
      </section>
      <section aria-labelledby="shared" className="mt-10">
        <h2 id="shared" className="mb-3 text-lg font-semibold">
          My shared links
        </h2>
        <SharedLinks />
      </section>
    </AppShell>
  );
}
