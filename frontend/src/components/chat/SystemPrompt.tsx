"use client";

import { useEffect, useId, useState } from "react";
import type { AppError } from "@/api/errors";
import { ErrorBanner } from "../ErrorBanner";

export function SystemPromptEditor({
  value,
  onSave,
  onClose,
}: {
  value: string;
  onSave: (prompt: string) => Promise<AppError | null>;
  onClose: () => void;
}) {
  const id = useId();
  const [draft, setDraft] = useState(value);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setDraft(value), [value]);
  return (
    <form
      className="space-y-2 border-b border-line bg-surface px-4 py-3"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        const failure = await onSave(draft);
        setBusy(false);
        setError(failure);
        setSaved(!failure);
      }}
    >
      <label htmlFor={id} className="block text-sm font-medium">
        System prompt for this conversation
      </label>
      <textarea
        id={id}
        value={draft}
        maxLength={20000}
        rows={3}
        onChange={(e) => {
          setDraft(e.target.value);
          setSaved(false);
        }}
        placeholder="e.g. You are a concise assistant. Answer in British English."
        className="w-full rounded-md border border-field bg-bg px-2 py-1.5 text-sm"
      />
      {error ? <ErrorBanner error={error} /> : null}
      <div className="flex items-center gap-2">
        <button type="submit" disabled={busy} className="rounded-md bg-accent px-3 py-1 text-sm text-accent-fg hover:bg-accent-hover disabled:opacity-60">
          Save prompt
        </button>
        <button type="button" onClick={onClose} className="rounded-md px-3 py-1 text-sm hover:bg-surface-2">
          Close
        </button>
        <span className="text-sm text-muted" role="status">
          {saved ? "Saved." : ""}
        </span>
      </div>
    </form>
  );
}
