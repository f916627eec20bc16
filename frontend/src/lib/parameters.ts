/**
 * The parameters panel's form as a pure reducer, and the rules the server applies to a
 * conversation's parameters, checked as the user types so most mistakes never make a round
 * trip (the server checks again and its 422 codes are shown as they come).
 *
 * The fields hold what was typed ("" means "the server's default"), so "1." or "" are not lost
 * on the way to a number.
 */
import type { components } from "@/api/schema";
import type { Model } from "@/api/types";

export type Preset = components["schemas"]["PresetOut"];

export const MIN_TEMPERATURE = 0;
export const MAX_TEMPERATURE = 2;

export interface ParameterValues {
  model: string | null;
  temperature: number | null;
  max_tokens: number | null;
  system_prompt: string;
}

export const DEFAULTS: ParameterValues = { model: null, temperature: null, max_tokens: null, system_prompt: "" };

export interface FormState {
  model: string;
  temperature: string;
  maxTokens: string;
  /** The values last saved (what "Reset" returns to, and what "changed" compares with). */
  saved: ParameterValues;
}

export type FormAction =
  | { type: "reset"; values: ParameterValues }
  /** Every field back to "the server's default" (saved only when the form is). */
  | { type: "defaults" }
  | { type: "model"; value: string }
  | { type: "temperature"; value: string }
  | { type: "maxTokens"; value: string };

export function formFrom(values: ParameterValues): FormState {
  return {
    model: values.model ?? "",
    temperature: values.temperature === null ? "" : String(values.temperature),
    maxTokens: values.max_tokens === null ? "" : String(values.max_tokens),
    saved: values,
  };
}

export function formReducer(state: FormState, action: FormAction): FormState {
  switch (action.type) {
    case "reset":
      return formFrom(action.values);
    case "defaults":
      return { ...state, model: "", temperature: "", maxTokens: "" };
    case "model":
      return { ...state, model: action.value };
    case "temperature":
      return { ...state, temperature: action.value };
    case "maxTokens":
      return { ...state, maxTokens: action.value };
  }
}

export interface Checked {
  errors: { temperature?: string; maxTokens?: string };
  /** The body to save, when there are no errors. */
  values: Omit<ParameterValues, "system_prompt"> | null;
}

/** The server's rules (conversations/parameters.py), for the model the form names. */
export function check(form: FormState, model: Model | null): Checked {
  const errors: Checked["errors"] = {};
  const temperatureText = form.temperature.trim();
  const temperature = temperatureText === "" ? null : Number(temperatureText);
  if (temperature !== null && (!Number.isFinite(temperature) || temperature < MIN_TEMPERATURE || temperature > MAX_TEMPERATURE)) {
    errors.temperature = `Use a number from ${MIN_TEMPERATURE} to ${MAX_TEMPERATURE}, or leave it empty for the default.`;
  }
  const tokensText = form.maxTokens.trim();
  const maxTokens = tokensText === "" ? null : Number(tokensText);
  if (maxTokens !== null) {
    if (!Number.isInteger(maxTokens) || maxTokens < 1) errors.maxTokens = "Use a whole number of at least 1, or leave it empty for the default.";
    else if (model && maxTokens > model.max_output_tokens) {
      errors.maxTokens = `${model.label} writes at most ${model.max_output_tokens} tokens per answer.`;
    }
  }
  const ok = !errors.temperature && !errors.maxTokens;
  return { errors, values: ok ? { model: form.model || null, temperature, max_tokens: maxTokens } : null };
}

/** Whether the form differs from what was last saved. */
export function changed(form: FormState): boolean {
  const saved = formFrom(form.saved);
  return form.model !== saved.model || form.temperature.trim() !== saved.temperature || form.maxTokens.trim() !== saved.maxTokens;
}

/**
 * The body that switches a conversation to `model`: its max tokens go back to the default when
 * they are more than the new model writes (the server would refuse the switch otherwise).
 */
export function switchModel(values: ParameterValues, model: Model): { model: string; max_tokens?: null } {
  if (values.max_tokens !== null && values.max_tokens > model.max_output_tokens) return { model: model.id, max_tokens: null };
  return { model: model.id };
}

/** What applying a preset gives (the server's rule, for a chat that does not exist yet). */
export function applyPreset(values: ParameterValues, preset: Preset): ParameterValues {
  return {
    model: preset.model ?? values.model,
    temperature: preset.temperature,
    max_tokens: preset.max_tokens,
    system_prompt: preset.system_prompt,
  };
}

/** "Temperature 0.3 · max 500 tokens" — the non-default parameters, for the panel's button. */
export function summary(values: ParameterValues): string {
  const parts: string[] = [];
  if (values.temperature !== null) parts.push(`temperature ${values.temperature}`);
  if (values.max_tokens !== null) parts.push(`max ${values.max_tokens} tokens`);
  return parts.join(" · ");
}
