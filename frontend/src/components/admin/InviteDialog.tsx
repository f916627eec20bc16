"use client";

import { useId, useState, type FormEvent } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { AdminInviteCreated } from "@/api/types";
import { formatDateTime } from "@/lib/format";
import { CopyButton } from "../CopyButton";
import { ErrorBanner } from "../ErrorBanner";
import { Dialog } from "./Dialog";

const EXPIRIES = [
  { hours: 24, label: "1 day" },
  { hours: 72, label: "3 days" },
  { hours: 168, label: "7 days" },
  { hours: 720, label: "30 days" },
] as const;

/** Creates an invite and shows its link once (only a hash of it is kept on the server). */
export function InviteDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const id = useId();
  const [email, setEmail] = useState("");
  const [hours, setHours] = useState<number>(72);
  const [created, setCreated] = useState<AdminInviteCreated | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  function close() {
    setCreated(null);
    setEmail("");
    setError(null);
    onClose();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { data, error: err, response } = await api().POST("/api/v1/admin/invites", {
        body: { email: email.trim() || null, expires_in_hours: hours },
      });
      if (data) setCreated(data);
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
    setBusy(false);
  }

  const link = created ? `${window.location.origin}${created.path}` : "";
  return (
    <Dialog open={open} title="Invite someone" onClose={close}>
      {created ? (
        <div className="space-y-3 text-sm">
          <p>
            Send this link{created.email ? ` to ${created.email}` : ""}. It works once, until {formatDateTime(created.expires_at)}.{" "}
            <strong>It is shown only now.</strong>
          </p>
          <div className="flex items-center gap-2 rounded-md border border-line bg-bg p-2">
            <code data-testid="invite-link" className="min-w-0 flex-1 break-all text-xs">
              {link}
            </code>
            <CopyButton getText={() => link} label="Copy link" />
          </div>
          <div className="flex justify-end">
            <button type="button" onClick={close} className="rounded-md bg-accent px-3 py-1.5 font-medium text-accent-fg hover:bg-accent-hover">
              Done
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={submit} className="space-y-3">
          <div>
            <label htmlFor={`${id}-email`} className="mb-1 block text-sm font-medium">
              Email <span className="font-normal text-muted">(optional: only this address may use the link)</span>
            </label>
            <input
              id={`${id}-email`}
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              className="w-full rounded-md border border-field bg-bg px-3 py-2"
            />
          </div>
          <div>
            <label htmlFor={`${id}-expiry`} className="mb-1 block text-sm font-medium">
              Valid for
            </label>
            <select id={`${id}-expiry`} value={hours} onChange={(e) => setHours(Number(e.target.value))} className="rounded-md border border-field bg-bg px-2 py-1.5">
              {EXPIRIES.map((x) => (
                <option key={x.hours} value={x.hours}>
                  {x.label}
                </option>
              ))}
            </select>
          </div>
          {error ? <ErrorBanner error={error} /> : null}
          <div className="flex justify-end gap-2">
            <button type="button" onClick={close} className="rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
              Cancel
            </button>
            <button type="submit" disabled={busy} className="rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60">
              Create invite link
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
