/**
 * The team budget/limits form: what a person types, checked before sending (the server checks
 * again and answers with a stable code), and the body the API takes. An empty field means
 * "no limit"; amounts stay decimal strings end to end (never a float round trip).
 */
import type { LimitsIn } from "@/api/types";

export interface LimitsForm {
  daily_usd: string;
  monthly_usd: string;
  rpm: string;
  tpm: string;
}

export type LimitsResult = { ok: true; body: LimitsIn } | { ok: false; field: keyof LimitsForm; message: string };

const MONEY = /^\d{1,8}(\.\d{1,8})?$/;
const COUNT = /^\d{1,10}$/;

export function limitsForm(limits: { daily_usd?: string | null; monthly_usd?: string | null; rpm?: number | null; tpm?: number | null }): LimitsForm {
  return {
    daily_usd: limits.daily_usd ?? "",
    monthly_usd: limits.monthly_usd ?? "",
    rpm: limits.rpm == null ? "" : String(limits.rpm),
    tpm: limits.tpm == null ? "" : String(limits.tpm),
  };
}

/** The API body, or the first field that is wrong and why. */
export function parseLimits(form: LimitsForm): LimitsResult {
  const body: LimitsIn = {};
  for (const field of ["daily_usd", "monthly_usd"] as const) {
    const text = form[field].trim().replace(/^\$/, "");
    if (text === "") body[field] = null;
    else if (!MONEY.test(text)) return { ok: false, field, message: "Enter an amount in US dollars, like 25 or 12.50." };
    else body[field] = text;
  }
  for (const field of ["rpm", "tpm"] as const) {
    const text = form[field].trim().replaceAll(/[\s,_]/g, "");
    if (text === "") body[field] = null;
    else if (!COUNT.test(text) || Number(text) < 1) return { ok: false, field, message: "Enter a whole number of at least 1." };
    else body[field] = Number(text);
  }
  if (body.daily_usd != null && body.monthly_usd != null && Number(body.monthly_usd) < Number(body.daily_usd)) {
    return { ok: false, field: "monthly_usd", message: "The monthly budget cannot be lower than the daily budget." };
  }
  return { ok: true, body };
}
