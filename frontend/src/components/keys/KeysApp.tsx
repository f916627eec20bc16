"use client";

import { useCallback, useEffect, useId, useReducer, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { ApiKey } from "@/api/types";
import { useAllModels } from "@/hooks/useModels";
import { INITIAL_KEYS, keysReducer, snippetModel, sortKeys } from "@/lib/keys";
import { AppShell, PageTitle } from "../AppShell";
import { ErrorBanner } from "../ErrorBanner";
import { ConfirmDialog } from "./ConfirmDialog";
import { CreateKeyForm } from "./CreateKeyForm";
import { KeyList } from "./KeyList";
import { NewKeySecret } from "./NewKeySecret";

/** The API keys page: create (the secret shown once, with snippets), list with spend, revoke. */
export function KeysApp() {
  const id = useId();
  const [state, dispatch] = useReducer(keysReducer, INITIAL_KEYS);
  const [error, setError] = useState<AppError | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const models = useAllModels();
  const chatModels = models.filter((m) => m.kind === "chat");

  const load = useCallback(async () => {
    try {
      const { data, error: err, response } = await api().GET("/api/v1/keys");
      if (data) {
        dispatch({ type: "loaded", keys: data });
        setNow(Date.now());
        setError(null);
      } else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  async function revoke(key: ApiKey) {
    setBusy(true);
    try {
      const { data, error: err, response } = await api().DELETE("/api/v1/keys/{key_id}", { params: { path: { key_id: key.id } } });
      if (data) dispatch({ type: "revoked", id: key.id, revokedAt: data.revoked_at ?? new Date().toISOString() });
      else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  }

  return (
    <AppShell>
      <PageTitle sub="Keys let programs call Lockgate like the OpenAI API, at /v1, within the limits you set here.">API keys</PageTitle>
      {state.fresh ? (
        <NewKeySecret
          created={state.fresh}
          origin={typeof window === "undefined" ? "" : window.location.origin}
          model={snippetModel(state.fresh.allowed_models, chatModels)}
          onDone={() => {
            dispatch({ type: "dismissSecret" });
            void load();
          }}
        />
      ) : null}
      <section aria-labelledby={`${id}-create`} className="mb-8 rounded-xl border border-line bg-surface p-4">
        <h2 id={`${id}-create`} className="mb-3 text-lg font-semibold">
          Create a key
        </h2>
        <CreateKeyForm
          models={models}
          onCreated={(key) => {
            dispatch({ type: "created", key, now: new Date().toISOString() });
            void load(); // the server's view of the new row: its budget periods and resets
          }}
        />
      </section>
      <section aria-labelledby={`${id}-list`}>
        <div className="mb-3 flex items-center gap-3">
          <h2 id={`${id}-list`} className="text-lg font-semibold">
            Your keys
          </h2>
          <button type="button" onClick={() => void load()} className="rounded-md border border-line px-2.5 py-1 text-sm hover:bg-surface-2">
            Refresh
          </button>
        </div>
        {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
        {state.keys === null ? (
          error ? null : (
            <p className="text-muted" role="status">
              Loading…
            </p>
          )
        ) : (
          <KeyList keys={sortKeys(state.keys)} onRevoke={setRevoking} now={now} />
        )}
      </section>
      {revoking ? (
        <ConfirmDialog title={`Revoke “${revoking.name}”?`} confirmLabel="Revoke key" busy={busy} onConfirm={() => void revoke(revoking)} onCancel={() => setRevoking(null)}>
          <p>
            Programs using <code className="rounded bg-code px-1">{revoking.prefix}…</code> are refused at once, on every server. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </AppShell>
  );
}
