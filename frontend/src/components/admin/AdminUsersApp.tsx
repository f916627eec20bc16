"use client";

import { useCallback, useEffect, useId, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { AdminUser } from "@/api/types";
import { ErrorBanner } from "../ErrorBanner";
import { AdminShell } from "./AdminShell";
import { InviteDialog } from "./InviteDialog";
import { UserPanel } from "./UserPanel";

type Status = "all" | "active" | "disabled" | "admin";

/** Users: search by email, filter, pages; invite; manage one user. */
export function AdminUsersApp() {
  const id = useId();
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState<Status>("all");
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [inviting, setInviting] = useState(false);
  const [version, setVersion] = useState(0);

  const fetchPage = useCallback(
    async (after: string | null) => {
      const q = query.trim();
      const { data, error: err, response } = await api().GET("/api/v1/admin/users", {
        params: { query: { status, limit: 50, ...(q ? { q } : {}), ...(after ? { cursor: after } : {}) } },
      });
      if (!data) throw fromResponse(response, err);
      return data;
    },
    [query, status],
  );

  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      fetchPage(null)
        .then((page) => {
          if (!live) return;
          setUsers(page.items);
          setCursor(page.next_cursor ?? null);
          setError(null);
        })
        .catch((e: unknown) => live && setError(isAppError(e) ? e : networkError(e)));
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [fetchPage, version]);

  async function more() {
    if (!cursor) return;
    try {
      const page = await fetchPage(cursor);
      setUsers((prev) => [...(prev ?? []), ...page.items]);
      setCursor(page.next_cursor ?? null);
    } catch (e) {
      setError(isAppError(e) ? e : networkError(e));
    }
  }

  return (
    <AdminShell title="Admin" sub="People who can sign in, what they may do and spend.">
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <div>
          <label htmlFor={`${id}-q`} className="mb-1 block text-sm font-medium">
            Search by email
          </label>
          <input id={`${id}-q`} type="search" value={query} onChange={(e) => setQuery(e.target.value)} className="w-64 max-w-full rounded-md border border-field bg-bg px-3 py-1.5" />
        </div>
        <div>
          <label htmlFor={`${id}-status`} className="mb-1 block text-sm font-medium">
            Show
          </label>
          <select id={`${id}-status`} value={status} onChange={(e) => setStatus(e.target.value as Status)} className="rounded-md border border-field bg-bg px-2 py-1.5">
            <option value="all">Everyone</option>
            <option value="active">Active</option>
            <option value="disabled">Disabled</option>
            <option value="admin">Administrators</option>
          </select>
        </div>
        <button type="button" onClick={() => setInviting(true)} className="ml-auto rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover">
          Invite someone
        </button>
      </div>
      {error ? <ErrorBanner error={error} /> : null}
      {users === null ? (
        !error ? (
          <p role="status" className="text-muted">
            Loading…
          </p>
        ) : null
      ) : users.length === 0 ? (
        <p className="text-muted">No user matches.</p>
      ) : (
        <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Users">
          <table className="w-full min-w-[520px] text-left text-sm">
            <thead className="border-b border-line text-muted">
              <tr>
                <th scope="col" className="py-2 pr-3 font-medium">Email</th>
                <th scope="col" className="py-2 pr-3 font-medium">Role</th>
                <th scope="col" className="py-2 pr-3 font-medium">Status</th>
                <th scope="col" className="py-2 pr-3 font-medium">Limits</th>
                <th scope="col" className="py-2 font-medium"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id} className={`border-b border-line ${selected === u.id ? "bg-accent-soft" : ""}`}>
                  <th scope="row" className="break-all py-2 pr-3 font-medium">{u.email}</th>
                  <td className="py-2 pr-3">{u.is_admin ? "Administrator" : "User"}</td>
                  <td className="py-2 pr-3">{u.is_active ? "Active" : "Disabled"}</td>
                  <td className="py-2 pr-3">{u.has_override ? "Custom" : "Default"}</td>
                  <td className="py-2 text-right">
                    <button
                      type="button"
                      aria-label={`Manage ${u.email}`}
                      aria-pressed={selected === u.id}
                      onClick={() => setSelected(selected === u.id ? null : u.id)}
                      className="rounded-md border border-line px-2.5 py-1 text-sm hover:bg-surface-2"
                    >
                      Manage
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor ? (
        <button type="button" onClick={() => void more()} className="mt-3 rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
          Show more
        </button>
      ) : null}
      {selected ? (
        <div className="mt-6">
          <UserPanel userId={selected} onChanged={() => setVersion((v) => v + 1)} />
        </div>
      ) : null}
      <InviteDialog open={inviting} onClose={() => setInviting(false)} />
    </AdminShell>
  );
}

function isAppError(value: unknown): value is AppError {
  return typeof value === "object" && value !== null && "kind" in value && "message" in value;
}
