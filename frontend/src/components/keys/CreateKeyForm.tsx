"use client";

import { type FormEvent, type ReactNode, useId, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { ApiKeyCreate, ApiKeyCreated, Model } from "@/api/types";
import { EMPTY_FORM, EXPIRY_CHOICES, type ExpiryChoice, type FormErrors, type KeyField, type KeyForm, fieldOfCode, validateKeyForm } from "@/lib/keys";
import { ErrorBanner } from "../ErrorBanner";

const INPUT = "w-full rounded-md border border-field bg-bg px-3 py-2";

function Field({ id, label, hint, error, children }: { id: string; label: string; hint?: string; error?: string; children: ReactNode }) {
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint ? (
        <p id={`${id}-hint`} className="mt-1 text-xs text-muted">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="mt-1 text-sm text-danger">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function describedBy(id: string, hint: boolean, error: string | undefined): string | undefined {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return ids || undefined;
}

/** Sends the new key's body: `POST /api/v1/keys` unless told otherwise (a team's key). */
export type CreateKeyCall = (body: ApiKeyCreate) => Promise<{ data?: ApiKeyCreated; error?: unknown; response: Response }>;

const createOwnKey: CreateKeyCall = (body) => api().POST("/api/v1/keys", { body });

/** The form that creates a key; `onCreated` gets the key with its secret (shown once). */
export function CreateKeyForm({
  models,
  onCreated,
  create = createOwnKey,
  label = "Create an API key",
}: {
  models: Model[];
  onCreated: (key: ApiKeyCreated) => void;
  create?: CreateKeyCall;
  label?: string;
}) {
  const id = useId();
  const [form, setForm] = useState<KeyForm>(EMPTY_FORM);
  const [errors, setErrors] = useState<FormErrors>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof KeyForm>(key: K, value: KeyForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const f = (name: KeyField) => `${id}-${name}`;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const { body, errors: found } = validateKeyForm(form);
    setErrors(found);
    if (!body) {
      const first = Object.keys(found)[0] as KeyField | undefined;
      if (first) document.getElementById(f(first))?.focus();
      return;
    }
    setBusy(true);
    try {
      const { data, error: err, response } = await create(body);
      if (data) {
        setForm(EMPTY_FORM);
        setErrors({});
        onCreated(data);
      } else {
        const appError = fromResponse(response, err);
        const field = fieldOfCode(appError.code);
        if (field) setErrors({ [field]: appError.message });
        else setError(appError);
      }
    } catch (e2) {
      setError(networkError(e2));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label={label}>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field id={f("name")} label="Name" hint="Say what uses it, e.g. “nightly report”." error={errors.name}>
          <input
            id={f("name")}
            value={form.name}
            maxLength={100}
            required
            onChange={(e) => set("name", e.target.value)}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={describedBy(f("name"), true, errors.name)}
            className={INPUT}
          />
        </Field>
        <Field id={f("expiry")} label="Expires" error={errors.expiry}>
          <div className="flex gap-2">
            <select
              id={f("expiry")}
              value={form.expiry}
              onChange={(e) => set("expiry", e.target.value as ExpiryChoice)}
              aria-invalid={errors.expiry ? true : undefined}
              aria-describedby={describedBy(f("expiry"), false, errors.expiry)}
              className={INPUT}
            >
              {EXPIRY_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
            {form.expiry === "custom" ? (
              <input type="date" aria-label="Expiry date" value={form.expiryDate} onChange={(e) => set("expiryDate", e.target.value)} className={INPUT} />
            ) : null}
          </div>
        </Field>
      </div>

      <fieldset aria-describedby={errors.models ? `${f("models")}-error` : undefined}>
        <legend className="mb-1 text-sm font-medium">Models</legend>
        <label className="flex items-center gap-2 text-sm">
          <input id={f("models")} type="checkbox" checked={form.allModels} onChange={(e) => set("allModels", e.target.checked)} />
          Every model, including ones added later
        </label>
        {!form.allModels ? (
          <div className="mt-2 flex flex-wrap gap-x-4 gap-y-1" role="group" aria-label="Allowed models">
            {models.map((m) => (
              <label key={m.id} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={form.models.includes(m.id)}
                  onChange={(e) => set("models", e.target.checked ? [...form.models, m.id] : form.models.filter((x) => x !== m.id))}
                />
                {m.label || m.id} <span className="text-muted">({m.kind})</span>
              </label>
            ))}
          </div>
        ) : null}
        {errors.models ? (
          <p id={`${f("models")}-error`} className="mt-1 text-sm text-danger">
            {errors.models}
          </p>
        ) : null}
      </fieldset>

      <fieldset>
        <legend className="mb-1 text-sm font-medium">Limits (optional)</legend>
        <div className="grid gap-4 sm:grid-cols-4">
          <Field id={f("dailyBudget")} label="Daily budget (USD)" error={errors.dailyBudget}>
            <input
              id={f("dailyBudget")}
              inputMode="decimal"
              placeholder="no limit"
              value={form.dailyBudget}
              onChange={(e) => set("dailyBudget", e.target.value)}
              aria-invalid={errors.dailyBudget ? true : undefined}
              aria-describedby={describedBy(f("dailyBudget"), false, errors.dailyBudget)}
              className={INPUT}
            />
          </Field>
          <Field id={f("monthlyBudget")} label="Monthly budget (USD)" error={errors.monthlyBudget}>
            <input
              id={f("monthlyBudget")}
              inputMode="decimal"
              placeholder="no limit"
              value={form.monthlyBudget}
              onChange={(e) => set("monthlyBudget", e.target.value)}
              aria-invalid={errors.monthlyBudget ? true : undefined}
              aria-describedby={describedBy(f("monthlyBudget"), false, errors.monthlyBudget)}
              className={INPUT}
            />
          </Field>
          <Field id={f("rpm")} label="Requests per minute" error={errors.rpm}>
            <input
              id={f("rpm")}
              inputMode="numeric"
              placeholder="no limit"
              value={form.rpm}
              onChange={(e) => set("rpm", e.target.value)}
              aria-invalid={errors.rpm ? true : undefined}
              aria-describedby={describedBy(f("rpm"), false, errors.rpm)}
              className={INPUT}
            />
          </Field>
          <Field id={f("tpm")} label="Tokens per minute" error={errors.tpm}>
            <input
              id={f("tpm")}
              inputMode="numeric"
              placeholder="no limit"
              value={form.tpm}
              onChange={(e) => set("tpm", e.target.value)}
              aria-invalid={errors.tpm ? true : undefined}
              aria-describedby={describedBy(f("tpm"), false, errors.tpm)}
              className={INPUT}
            />
          </Field>
        </div>
      </fieldset>

      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      <button type="submit" disabled={busy} className="rounded-md bg-accent px-4 py-2 font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60">
        {busy ? "Creating…" : "Create key"}
      </button>
    </form>
  );
}
