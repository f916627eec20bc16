"use client";

import { useId, useRef, useState, type FormEvent } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import { exportUrl, importSummary } from "@/lib/transfer";
import { ErrorBanner } from "../ErrorBanner";

/** Settings → Your data: export every conversation, import a Lockgate or ChatGPT file. */
export function DataSettings() {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      // The file itself is the body (streamed by the browser), not JSON built from it.
      const zipped = file.type === "application/zip" || file.name.toLowerCase().endsWith(".zip");
      const { data, error: err, response } = await api().POST("/api/v1/imports", {
        body: file as unknown as string,
        bodySerializer: (body: unknown) => body as BodyInit,
        headers: { "Content-Type": zipped ? "application/octet-stream" : "application/json" },
      });
      if (data) {
        setDone(importSummary(data));
        setFile(null);
        if (input.current) input.current.value = "";
      } else setError(fromResponse(response, err));
    } catch (e2) {
      setError(networkError(e2));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-6">
      <div>
        <h3 className="mb-1 font-medium">Export all conversations</h3>
        <p className="mb-2 text-sm text-muted">
          One file with every conversation: Lockgate JSON keeps every message and regeneration and can be imported again;
          Markdown is a zip with one readable file per conversation.
        </p>
        <div className="flex flex-wrap gap-2">
          <a href={exportUrl(null, "json")} download className="rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
            Download Lockgate JSON
          </a>
          <a href={exportUrl(null, "markdown")} download className="rounded-md border border-line px-3 py-1.5 text-sm hover:bg-surface-2">
            Download Markdown (.zip)
          </a>
        </div>
      </div>
      <form onSubmit={submit} className="max-w-md space-y-2">
        <h3 className="font-medium">Import conversations</h3>
        <label htmlFor={id} className="block text-sm">
          A Lockgate JSON export, or ChatGPT’s data export (the .zip as downloaded, or its{" "}
          <code className="font-mono">conversations.json</code>)
        </label>
        <input
          id={id}
          ref={input}
          type="file"
          accept="application/json,.json,application/zip,.zip"
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setDone(null);
          }}
          className="block w-full text-sm file:mr-3 file:rounded-md file:border file:border-line file:bg-surface file:px-3 file:py-1.5 file:text-fg"
        />
        <p className="text-xs text-muted">
          Everything in the file is imported, or nothing is. Imported conversations are yours and cost nothing.
        </p>
        <button type="submit" disabled={!file || busy} className="rounded-md bg-accent px-4 py-2 font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60">
          {busy ? "Importing…" : "Import"}
        </button>
        {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
        {done ? (
          <p role="status" className="text-sm text-ok">
            {done}
          </p>
        ) : null}
      </form>
    </div>
  );
}
