/**
 * The API keys page's logic, free of React: the create form's rules (the server's, checked
 * before sending so mistakes are shown next to their field), the list's state as a reducer, and
 * the ready-to-run snippets for a new key.
 */
import type { ApiKey, ApiKeyCreate, ApiKeyCreated } from "@/api/types";

export const EXPIRY_CHOICES = [
  { value: "never", label: "Never" },
  { value: "7", label: "In 7 days" },
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "365", label: "In a year" },
  { value: "custom", label: "On a date…" },
] as const;
export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number]["value"];

export interface KeyForm {
  name: string;
  expiry: ExpiryChoice;
  /** YYYY-MM-DD, when `expiry` is "custom": the key works until the end of that day (local). */
  expiryDate: string;
  allModels: boolean;
  models: string[];
  dailyBudget: string;
  monthlyBudget: string;
  rpm: string;
  tpm: string;
}

export type KeyField = "name" | "expiry" | "models" | "dailyBudget" | "monthlyBudget" | "rpm" | "tpm";
export type FormErrors = Partial<Record<KeyField, string>>;

export const EMPTY_FORM: KeyForm = {
  name: "",
  expiry: "never",
  expiryDate: "",
  allModels: true,
  models: [],
  dailyBudget: "",
  monthlyBudget: "",
  rpm: "",
  tpm: "",
};

const MONEY = /^\d{1,8}(\.\d{1,8})?$/;
const MAX_USD = 90_000_000;
const DAY_MS = 86_400_000;

function money(text: string, label: string): { value?: string; error?: string } {
  const t = text.trim();
  if (!t) return {};
  if (!MONEY.test(t)) return { error: `${label}: a dollar amount such as 5 or 2.50 (at most 8 decimals).` };
  if (Number(t) > MAX_USD) return { error: `${label}: at most $90,000,000.` };
  return { value: t };
}

function whole(text: string, label: string, max: number): { value?: number; error?: string } {
  const t = text.trim().replaceAll(",", "");
  if (!t) return {};
  if (!/^\d+$/.test(t) || Number(t) < 1) return { error: `${label}: a whole number of at least 1.` };
  if (Number(t) > max) return { error: `${label}: at most ${new Intl.NumberFormat("en-US").format(max)}.` };
  return { value: Number(t) };
}

/** When the key stops working, as an ISO instant; null for never. */
export function expiryInstant(form: KeyForm, now: Date): string | null {
  if (form.expiry === "never") return null;
  if (form.expiry === "custom") {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(form.expiryDate)) return "";
    const [y, m, d] = form.expiryDate.split("-").map(Number) as [number, number, number];
    const end = new Date(y, m - 1, d + 1); // the end of that day, in the user's time zone
    return Number.isNaN(end.getTime()) ? "" : end.toISOString();
  }
  return new Date(now.getTime() + Number(form.expiry) * DAY_MS).toISOString();
}

/** The request body, or the errors to show by field (nothing is sent while there are any). */
export function validateKeyForm(form: KeyForm, now: Date = new Date()): { body: ApiKeyCreate | null; errors: FormErrors } {
  const errors: FormErrors = {};
  const name = form.name.trim();
  if (!name) errors.name = "Give the key a name, e.g. the program that will use it.";
  else if (name.length > 100) errors.name = "At most 100 characters.";

  const expires = expiryInstant(form, now);
  if (expires === "") errors.expiry = "Pick the date the key should stop working.";
  else if (expires !== null && Date.parse(expires) <= now.getTime()) errors.expiry = "The date must be in the future.";

  if (!form.allModels && form.models.length === 0) errors.models = "Pick at least one model, or allow every model.";

  const daily = money(form.dailyBudget, "Daily budget");
  const monthly = money(form.monthlyBudget, "Monthly budget");
  if (daily.error) errors.dailyBudget = daily.error;
  if (monthly.error) errors.monthlyBudget = monthly.error;
  if (daily.value && monthly.value && Number(daily.value) > Number(monthly.value)) {
    errors.dailyBudget = "The daily budget is larger than the monthly budget.";
  }
  const rpm = whole(form.rpm, "Requests per minute", 1_000_000);
  const tpm = whole(form.tpm, "Tokens per minute", 1_000_000_000);
  if (rpm.error) errors.rpm = rpm.error;
  if (tpm.error) errors.tpm = tpm.error;

  if (Object.keys(errors).length > 0) return { body: null, errors };
  const body: ApiKeyCreate = { name };
  if (expires) body.expires_at = expires;
  if (!form.allModels) body.allowed_models = [...form.models];
  if (daily.value) body.daily_budget_usd = daily.value;
  if (monthly.value) body.monthly_budget_usd = monthly.value;
  if (rpm.value) body.rpm = rpm.value;
  if (tpm.value) body.tpm = tpm.value;
  return { body, errors };
}

/** A server error code on create → the field it is about (so it is shown there). */
export function fieldOfCode(code: string): KeyField | null {
  switch (code) {
    case "unknown_model":
    case "no_allowed_models":
      return "models";
    case "expiry_in_past":
      return "expiry";
    case "daily_budget_above_monthly":
      return "dailyBudget";
    default:
      return null;
  }
}

// ---- the list ----

export interface KeysState {
  keys: ApiKey[] | null;
  /** The key just created, with its secret: shown once, forgotten when dismissed. */
  fresh: ApiKeyCreated | null;
}

export type KeysAction =
  | { type: "loaded"; keys: ApiKey[] }
  | { type: "created"; key: ApiKeyCreated; now: string; timezone?: string }
  | { type: "revoked"; id: string; revokedAt: string }
  | { type: "dismissSecret" };

export const INITIAL_KEYS: KeysState = { keys: null, fresh: null };

/** A new key as a list row (its secret left out), until the next load brings the server's. */
export function rowOf(key: ApiKeyCreated, now: string, timezone = "UTC"): ApiKey {
  const { key: _secret, ...rest } = key;
  return {
    ...rest,
    status: "active",
    spend: {
      today_usd: "0",
      month_usd: "0",
      daily_remaining_usd: key.daily_budget_usd,
      monthly_remaining_usd: key.monthly_budget_usd,
      day_resets_at: now,
      month_resets_at: now,
      timezone,
    },
  };
}

export function keysReducer(state: KeysState, action: KeysAction): KeysState {
  switch (action.type) {
    case "loaded":
      return { ...state, keys: action.keys };
    case "created":
      return {
        keys: [rowOf(action.key, action.now, action.timezone), ...(state.keys ?? []).filter((k) => k.id !== action.key.id)],
        fresh: action.key,
      };
    case "revoked":
      return {
        ...state,
        keys: state.keys?.map((k) => (k.id === action.id ? { ...k, status: "revoked", revoked_at: action.revokedAt } : k)) ?? null,
        fresh: state.fresh?.id === action.id ? null : state.fresh,
      };
    case "dismissSecret":
      return { ...state, fresh: null };
  }
}

/** Active keys first (newest first within each group), then expired, then revoked. */
export function sortKeys(keys: ApiKey[]): ApiKey[] {
  const rank = { active: 0, expired: 1, revoked: 2 } as const;
  return [...keys].sort((a, b) => rank[a.status] - rank[b.status] || b.created_at.localeCompare(a.created_at));
}

// ---- snippets ----

export type SnippetLang = "curl" | "python" | "node";
export const SNIPPET_LABELS: Record<SnippetLang, string> = { curl: "curl", python: "Python", node: "Node.js" };

/** A string literal for shell single quotes. */
function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Ready-to-run calls of `/v1/chat/completions` with the new key (`origin`: where the user
 * reached Lockgate, e.g. "https://ai.example.com"). */
export function snippets(origin: string, key: string, model: string): Record<SnippetLang, string> {
  const base = `${origin.replace(/\/+$/, "")}/v1`;
  const body = JSON.stringify({ model, messages: [{ role: "user", content: "Hello!" }] });
  const js = (s: string) => JSON.stringify(s);
  return {
    curl: [
      `curl ${shellQuote(`${base}/chat/completions`)} \\`,
      `  -H ${shellQuote(`Authorization: Bearer ${key}`)} \\`,
      `  -H 'Content-Type: application/json' \\`,
      `  -d ${shellQuote(body)}`,
    ].join("\n"),
    python: [
      "# pip install openai",
      "from openai import OpenAI",
      "",
      `client = OpenAI(base_url=${js(base)}, api_key=${js(key)})`,
      "reply = client.chat.completions.create(",
      `    model=${js(model)},`,
      `    messages=[{"role": "user", "content": "Hello!"}],`,
      ")",
      "print(reply.choices[0].message.content)",
    ].join("\n"),
    node: [
      "// npm install openai",
      'import OpenAI from "openai";',
      "",
      `const client = new OpenAI({ baseURL: ${js(base)}, apiKey: ${js(key)} });`,
      "const reply = await client.chat.completions.create({",
      `  model: ${js(model)},`,
      '  messages: [{ role: "user", content: "Hello!" }],',
      "});",
      "console.log(reply.choices[0].message.content);",
    ].join("\n"),
  };
}

/** The model a snippet should call: one the key may use, the default chat model if it may. */
export function snippetModel(allowed: string[] | null, chatModels: { id: string; default?: boolean }[]): string {
  const usable = allowed === null ? chatModels : chatModels.filter((m) => allowed.includes(m.id));
  return usable.find((m) => m.default)?.id ?? usable[0]?.id ?? allowed?.[0] ?? chatModels[0]?.id ?? "MODEL";
}
