"use client";

import { useCallback, useEffect, useId, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { AuditEntry } from "@/api/types";
import { formatDateTime } from "@/lib/format";
import { ErrorBanner } from "../ErrorBanner";
import { AdminShell } from "./AdminShell";

const ACTIONS = [
  { value: "", label: "Every action" },
  { value: "user.", label: "Users (all)" },
  { value: "user.role_changed", label: "Role changed" },
  { value: "user.disabled", label: "Account disabled" },
  { value: "user.enabled", label: "Account enabled" },
  { value: "user.limits_changed", label: "Limits changed" },
  { value: "key.", label: "API keys (all)" },
  { value: "invite.", label: "Invites (all)" },
] as const;

function Snapshot({ value }: { value: Record<string, unknown> | null | undefined }) {
  if (!value) return <span className="text-muted">—</span>;
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-2 text-xs">
      {Object.entries(value).map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-muted">{k}</dt>
          <dd className="break-all">{v === null ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The audit log: who changed what, before and after; filter; CSV export. */
export function AdminAuditApp() {
  const id = useId();
  const [action, setAction] = useState("");
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const fetchPage = useCallback(
    async (after: string | null) => {
      const { data, error: err, response } = await api().GET("/api/v1/admin/audit", {
        params: { query: { limit: 50, ...(action ? { action } : {}), ...(after ? { cursor: after } : {}) } },
      });
      if (!data) throw fromResponse(response, err);
      return data;
    },
    [action],
  );

  useEffect(() => {
    let live = true;
    fetchPage(null)
      .then((page) => {
        if (!live) return;
        setEntries(page.items);
        setCursor(page.next_cursor ?? null);
        setError(null);
      })
      .catch((e: unknown) => live && setError(e && typeof e === "object" && "kind" in e ? (e as AppError) : networkError(e)));
    return () => {
      live = false;
    };
  }, [fetchPage]);

  const exportHref = `/api/v1/admin/audit/export.csv${action ? `?action=${encodeURIComponent(action)}` : ""}`;
  return (
    <AdminShell title="Admin" sub="Every administrative change: who, what, before and after, when.">
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <div>
          <label htmlFor={`${id}-action`} className="mb-1 block text-sm font-medium">
            Action
          </label>
          <select id={`${id}-action`} value={action} onChange={(e) => setAction(e.target.value)} className="rounded-md border border-field bg-bg px-2 py-1.5">
            {ACTIONS.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        </div>
        <a href={exportHref} download className="ml-auto rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
          Export CSV
        </a>
      </div>
      {error ? <ErrorBanner error={error} /> : null}
      {entries === null ? (
        !error ? (
          <p role="status" className="text-muted">
            Loading…
          </p>
        ) : null
      ) : entries.length === 0 ? (
        <p className="text-muted">Nothing logged yet.</p>
      ) : (
        <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Audit log">
          <table className="w-full min-w-[720px] text-left text-sm">
            <thead className="border-b border-line text-muted">
              <tr>
                <th scope="col" className="py-2 pr-3 font-medium">When</th>
                <th scope="col" className="py-2 pr-3 font-medium">Who</th>
                <th scope="col" className="py-2 pr-3 font-medium">Action</th>
                <th scope="col" className="py-2 pr-3 font-medium">Target</th>
                <th scope="col" className="py-2 pr-3 font-medium">Before</th>
                <th scope="col" className="py-2 font-medium">After</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} className="border-b border-line align-top" data-testid="audit-row">
                  <td className="whitespace-nowrap py-2 pr-3">{formatDateTime(e.created_at)}</td>
                  <td className="break-all py-2 pr-3">{e.actor_email}</td>
                  <td className="py-2 pr-3 font-medium">{e.action}</td>
                  <td className="break-all py-2 pr-3">{e.target_label || e.target_id}</td>
                  <td className="py-2 pr-3">
                    <Snapshot value={e.before} />
                  </td>
                  <td className="py-2">
                    <Snapshot value={e.after} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor ? (
        <button
          type="button"
          onClick={() =>
            void fetchPage(cursor)
              .then((page) => {
                setEntries((prev) => [...(prev ?? []), ...page.items]);
                setCursor(page.next_cursor ?? null);
              })
              .catch((e: unknown) => setError(networkError(e)))
          }
          className="mt-3 rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2"
        >
          Show more
        </button>
      ) : null}
    </AdminShell>
  );
}
