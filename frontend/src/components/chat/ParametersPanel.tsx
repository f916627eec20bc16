"use client";

import { useEffect, useId, useReducer, useState } from "react";
import type { AppError } from "@/api/errors";
import type { Model } from "@/api/types";
import type { Presets } from "@/hooks/usePresets";
import { MAX_TEMPERATURE, MIN_TEMPERATURE, type ParameterValues, changed, check, formFrom, formReducer } from "@/lib/parameters";
import { ErrorBanner } from "../ErrorBanner";
import { modelOptionLabel } from "./ModelPicker";

const field = "w-full rounded-md border border-field bg-bg px-2 py-1 text-sm aria-[invalid=true]:border-danger";
const button = "rounded-md border border-line px-3 py-1 text-sm hover:bg-surface-2 disabled:opacity-60";

/** Saved presets: apply one, delete one, or save the current parameters as a new one. */
function PresetControls({
  presets,
  current,
  onApply,
}: {
  presets: Presets;
  current: ParameterValues;
  onApply: (presetId: string) => Promise<AppError | null>;
}) {
  const pickId = useId();
  const nameId = useId();
  const [picked, setPicked] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<AppError | null>(null);
  const [status, setStatus] = useState("");
  const chosen = presets.items.find((p) => p.id === picked) ?? presets.items[0] ?? null;

  const run = async (action: () => Promise<AppError | null>, done: string) => {
    setStatus("");
    const failure = await action();
    setError(failure);
    if (!failure) setStatus(done);
  };

  return (
    <div className="space-y-2 border-t border-line pt-3">
      <h3 className="text-sm font-medium">Presets</h3>
      {presets.items.length > 0 ? (
        <div className="flex flex-wrap items-end gap-2">
          <div className="min-w-0 flex-1">
            <label htmlFor={pickId} className="block text-xs text-muted">
              Saved preset
            </label>
            <select id={pickId} value={chosen?.id ?? ""} onChange={(e) => setPicked(e.target.value)} className={field}>
              {presets.items.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          <button type="button" className={button} disabled={!chosen} onClick={() => chosen && void run(() => onApply(chosen.id), `Applied “${chosen.name}”.`)}>
            Apply preset
          </button>
          <button
            type="button"
            className={`${button} text-danger`}
            disabled={!chosen}
            onClick={() => chosen && void run(() => presets.remove(chosen.id), `Deleted “${chosen.name}”.`)}
          >
            Delete preset
          </button>
        </div>
      ) : (
        <p className="text-xs text-muted">No presets yet: save these parameters (and the system prompt) under a name to reuse them.</p>
      )}
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          const clean = name.trim();
          if (!clean) return;
          void run(async () => {
            const failure = await presets.create({ name: clean, ...current });
            if (!failure) setName("");
            return failure;
          }, `Saved preset “${clean}”.`);
        }}
      >
        <div className="min-w-0 flex-1">
          <label htmlFor={nameId} className="block text-xs text-muted">
            New preset name
          </label>
          <input id={nameId} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} className={field} placeholder="e.g. Concise translator" />
        </div>
        <button type="submit" className={button} disabled={!name.trim()}>
          Save as preset
        </button>
      </form>
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      {presets.error ? <ErrorBanner error={presets.error} /> : null}
      <p role="status" className="text-xs text-muted">
        {status}
      </p>
    </div>
  );
}

/**
 * The conversation's model, temperature and max output tokens (the system prompt has its own
 * editor), checked as typed against the chosen model's limits, saved together; and presets.
 */
export function ParametersPanel({
  values,
  models,
  presets,
  onSave,
  onApply,
  onClose,
}: {
  values: ParameterValues;
  models: Model[];
  presets: Presets;
  onSave: (values: Omit<ParameterValues, "system_prompt">) => Promise<AppError | null>;
  onApply: (presetId: string) => Promise<AppError | null>;
  onClose: () => void;
}) {
  const headingId = useId();
  const modelId = useId();
  const temperatureId = useId();
  const tokensId = useId();
  const [form, dispatch] = useReducer(formReducer, values, formFrom);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [saved, setSaved] = useState(false);
  // Reset when the saved values change (a save, a preset applied), not on every render.
  const savedKey = JSON.stringify(values);
  useEffect(() => dispatch({ type: "reset", values: JSON.parse(savedKey) as ParameterValues }), [savedKey]);

  const defaultModel = models.find((m) => m.default) ?? models[0] ?? null;
  const model = models.find((m) => m.id === form.model) ?? defaultModel;
  const { errors, values: valid } = check(form, model);

  return (
    <section aria-labelledby={headingId} className="space-y-3 border-b border-line bg-surface px-4 py-3" data-testid="parameters-panel">
      <h2 id={headingId} className="text-sm font-medium">
        Parameters for this conversation
      </h2>
      <form
        className="grid gap-3 sm:grid-cols-3"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          if (!valid) return;
          setBusy(true);
          const failure = await onSave(valid);
          setBusy(false);
          setError(failure);
          setSaved(!failure);
        }}
        onChange={() => setSaved(false)}
      >
        <div>
          <label htmlFor={modelId} className="block text-xs text-muted">
            Model
          </label>
          <select id={modelId} value={form.model} onChange={(e) => dispatch({ type: "model", value: e.target.value })} className={field}>
            <option value="">Server default{defaultModel ? ` (${defaultModel.label})` : ""}</option>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {modelOptionLabel(m)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={temperatureId} className="block text-xs text-muted">
            Temperature
          </label>
          <input
            id={temperatureId}
            type="number"
            inputMode="decimal"
            min={MIN_TEMPERATURE}
            max={MAX_TEMPERATURE}
            step={0.1}
            placeholder="Default"
            value={form.temperature}
            onChange={(e) => dispatch({ type: "temperature", value: e.target.value })}
            aria-invalid={errors.temperature ? true : undefined}
            aria-describedby={`${temperatureId}-hint`}
            className={field}
          />
          <p id={`${temperatureId}-hint`} className={`mt-0.5 text-xs ${errors.temperature ? "text-danger" : "text-muted"}`}>
            {errors.temperature ?? `${MIN_TEMPERATURE}–${MAX_TEMPERATURE}: lower is more focused, higher more varied.`}
          </p>
        </div>
        <div>
          <label htmlFor={tokensId} className="block text-xs text-muted">
            Max output tokens
          </label>
          <input
            id={tokensId}
            type="number"
            inputMode="numeric"
            min={1}
            max={model?.max_output_tokens}
            step={1}
            placeholder="Default"
            value={form.maxTokens}
            onChange={(e) => dispatch({ type: "maxTokens", value: e.target.value })}
            aria-invalid={errors.maxTokens ? true : undefined}
            aria-describedby={`${tokensId}-hint`}
            className={field}
          />
          <p id={`${tokensId}-hint`} className={`mt-0.5 text-xs ${errors.maxTokens ? "text-danger" : "text-muted"}`}>
            {errors.maxTokens ?? (model ? `Up to ${model.max_output_tokens} for ${model.label}; it bounds the cost reserved.` : "")}
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-2 sm:col-span-3">
          <button type="submit" disabled={busy || !valid || !changed(form)} className="rounded-md bg-accent px-3 py-1 text-sm text-accent-fg hover:bg-accent-hover disabled:opacity-60">
            Save parameters
          </button>
          <button type="button" onClick={() => {
              dispatch({ type: "defaults" });
              setSaved(false);
            }} className={button}>
            Use defaults
          </button>
          <button type="button" onClick={onClose} className="rounded-md px-3 py-1 text-sm hover:bg-surface-2">
            Close parameters
          </button>
          <span className="text-sm text-muted" role="status">
            {saved ? "Parameters saved." : ""}
          </span>
        </div>
      </form>
      {error ? <ErrorBanner error={error} onDismiss={() => setError(null)} /> : null}
      <PresetControls presets={presets} current={values} onApply={onApply} />
    </section>
  );
}
