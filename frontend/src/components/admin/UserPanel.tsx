"use client";

import { useCallback, useEffect, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { AdminUserDetail } from "@/api/types";
import { formatDateTime } from "@/lib/format";
import { ErrorBanner } from "../ErrorBanner";
import { ConfirmDialog } from "./Dialog";
import { LimitsEditor } from "./LimitsEditor";

type Action = "promote" | "demote" | "disable" | "enable";

const CONFIRM: Record<Action, { title: string; confirm: string; danger: boolean; body: (email: string) => string }> = {
  promote: { title: "Make administrator?", confirm: "Make administrator", danger: false, body: (e) => `${e} will be able to manage every user, key and budget.` },
  demote: { title: "Remove administrator?", confirm: "Remove administrator", danger: true, body: (e) => `${e} will become a regular user.` },
  disable: {
    title: "Disable this account?",
    confirm: "Disable account",
    danger: true,
    body: (e) => `${e} is signed out everywhere at once and every API key of the account is revoked. They cannot sign in until re-enabled.`,
  },
  enable: { title: "Enable this account?", confirm: "Enable account", danger: false, body: (e) => `${e} can sign in again. Revoked API keys stay revoked.` },
};

/** One user: role and status actions (each confirmed), their limits. */
export function UserPanel({ userId, onChanged }: { userId: string; onChanged: () => void }) {
  const [user, setUser] = useState<AdminUserDetail | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [pending, setPending] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const { data, error: err, response } = await api().GET("/api/v1/admin/users/{user_id}", { params: { path: { user_id: userId } } });
      if (data) setUser(data);
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }, [userId]);

  useEffect(() => {
    setUser(null);
    setError(null);
    void load();
  }, [load]);

  async function act(action: Action) {
    setBusy(true);
    setError(null);
    const path = { params: { path: { user_id: userId } } };
    try {
      const result =
        action === "promote" || action === "demote"
          ? await api().PUT("/api/v1/admin/users/{user_id}/role", { ...path, body: { role: action === "promote" ? "admin" : "user" } })
          : action === "disable"
            ? await api().POST("/api/v1/admin/users/{user_id}/disable", path)
            : await api().POST("/api/v1/admin/users/{user_id}/enable", path);
      if (result.data) {
        await load();
        onChanged();
      } else setError(fromResponse(result.response, result.error));
    } catch (e) {
      setError(networkError(e));
    }
    setBusy(false);
    setPending(null);
  }

  if (!user) return error ? <ErrorBanner error={error} /> : <p role="status" className="text-muted">Loading…</p>;
  const confirm = pending ? CONFIRM[pending] : null;
  return (
    <section aria-label={`Manage ${user.email}`} className="space-y-5 rounded-xl border border-line bg-surface p-4">
      <div>
        <h2 className="break-all text-lg font-semibold">{user.email}</h2>
        <p className="text-sm text-muted">
          {user.is_admin ? "Administrator" : "User"} · {user.is_active ? "active" : "disabled"} · joined {formatDateTime(user.created_at)} ·{" "}
          {user.active_sessions} signed-in session{user.active_sessions === 1 ? "" : "s"} · {user.active_keys} active API key
          {user.active_keys === 1 ? "" : "s"}
        </p>
      </div>
      {error ? <ErrorBanner error={error} /> : null}
      <div className="flex flex-wrap gap-2">
        <button type="button" onClick={() => setPending(user.is_admin ? "demote" : "promote")} className="rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
          {user.is_admin ? "Remove administrator" : "Make administrator"}
        </button>
        <button
          type="button"
          onClick={() => setPending(user.is_active ? "disable" : "enable")}
          className={`rounded-md border px-3 py-1.5 text-sm hover:bg-surface-2 ${user.is_active ? "border-danger text-danger" : "border-line"}`}
        >
          {user.is_active ? "Disable account" : "Enable account"}
        </button>
      </div>
      <LimitsEditor key={user.id} user={user} onSaved={() => void load().then(onChanged)} />
      {confirm && pending ? (
        <ConfirmDialog
          open
          title={confirm.title}
          body={confirm.body(user.email)}
          confirm={confirm.confirm}
          danger={confirm.danger}
          busy={busy}
          onConfirm={() => void act(pending)}
          onClose={() => setPending(null)}
        />
      ) : null}
    </section>
  );
}
