/**
 * Every amount of money and every time the app shows goes through this module, so they read the
 * same everywhere and never as the API's raw values (decimal strings such as "105.20000000" or
 * "0E-8", ISO timestamps).
 */

type Money = string | number | null | undefined;

/** Below this, an amount is shown as "< $0.000001" rather than as a row of zeros. */
const TINY_USD = 0.000001;

function toNumber(value: Money): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" && value.trim() === "") return null;
  const n = typeof value === "number" ? value : Number(value.trim());
  return Number.isFinite(n) ? n : null;
}

function usd(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return new Intl.NumberFormat(locale, { style: "currency", currency: "USD", ...options });
}

/**
 * Money (the API sends exact decimal strings; they become numbers only here, for display).
 * Whole cents from $1, up to four decimals from a cent, two significant digits below
 * ("$0.000024"). `zero: "free"` says "free" for a price or cost of nothing.
 *
 *   formatUsd("105.20000000") → "$105.20"      formatUsd("0E-8") → "$0.00"
 *   formatUsd("0.0123456")    → "$0.0123"      formatUsd("0", { zero: "free" }) → "free"
 */
export function formatUsd(value: Money, options: { zero?: "free" | "amount"; locale?: string } = {}): string {
  const n = toNumber(value);
  if (n === null) return "—";
  const { locale } = options;
  if (n === 0) return options.zero === "free" ? "free" : usd(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(0);
  const abs = Math.abs(n);
  if (abs < TINY_USD) return `< ${usd(locale, { maximumFractionDigits: 6 }).format(n < 0 ? -TINY_USD : TINY_USD)}`;
  if (abs >= 1) return usd(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
  if (abs >= 0.01) return usd(locale, { minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(n);
  return usd(locale, { maximumSignificantDigits: 2 }).format(n);
}

/** What one call costs or may cost: "free" when nothing. */
export function formatCost(value: Money, locale?: string): string {
  return formatUsd(value, { zero: "free", ...(locale ? { locale } : {}) });
}

/** A price per million tokens, e.g. "$0.15 in / $0.60 out per 1M tokens". */
export function formatPrice(input: string, output: string): string {
  const i = Number(input);
  const o = Number(output);
  if (i === 0 && o === 0) return "free";
  return `${formatUsd(input)} in / ${formatUsd(output)} out per 1M tokens`;
}

export function formatTokens(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return new Intl.NumberFormat("en-US").format(n);
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function toDate(value: string | Date): Date | null {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A date and time for people, in their time zone: "Dec 7, 2026, 1:00 AM". */
export function formatDateTime(value: string | Date, locale?: string, timeZone?: string): string {
  const d = toDate(value);
  if (!d) return typeof value === "string" ? value : "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", ...(timeZone ? { timeZone } : {}) }).format(d);
}

/** A time of day for people: "2:05:09 PM". */
export function formatTime(value: string | Date, locale?: string, timeZone?: string): string {
  const d = toDate(value);
  if (!d) return typeof value === "string" ? value : "";
  return new Intl.DateTimeFormat(locale, { timeStyle: "medium", ...(timeZone ? { timeZone } : {}) }).format(d);
}

/** How long until `value`: "in 5 min", "in 3 h 20 min", "in 2 days"; "now" once past. */
export function formatIn(value: string | Date, now: number = Date.now()): string {
  const d = toDate(value);
  if (!d) return "";
  const minutes = Math.ceil((d.getTime() - now) / 60_000);
  if (minutes <= 0) return "now";
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `in ${hours} h ${minutes % 60} min` : `in ${hours} h`;
  return `in ${Math.round(hours / 24)} days`;
}

/** A moment ahead, both ways a person wants it: "Dec 7, 2026, 1:00 AM (in 8 h 49 min)". */
export function formatWhen(value: string | Date, now: number = Date.now(), locale?: string, timeZone?: string): string {
  const at = formatDateTime(value, locale, timeZone);
  const rel = formatIn(value, now);
  return rel && rel !== "now" ? `${at} (${rel})` : at;
}

export function formatRelative(iso: string, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.round((now - t) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

const MONEY_IN_TEXT = /\$(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\d.])/g;
const ISO_IN_TEXT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/**
 * A server's sentence with its amounts and timestamps formatted for people (the API writes
 * Decimals and ISO times into some messages, e.g. a budget refusal).
 */
export function humanizeText(text: string, locale?: string, timeZone?: string): string {
  return text
    .replace(MONEY_IN_TEXT, (_m, amount: string) => formatUsd(amount, locale ? { locale } : {}))
    .replace(ISO_IN_TEXT, (iso) => formatDateTime(iso, locale, timeZone));
}
