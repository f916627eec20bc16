import type { UsageRow } from "@/api/types";

export interface DaySpend {
  day: string;
  total: number;
  byModel: Record<string, number>;
}

export interface ModelSpend {
  model: string;
  provider: string;
  cost: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  images: number;
  cacheHits: number;
  saved: number;
}

/** Every UTC day from start to end inclusive (YYYY-MM-DD). */
export function daysBetween(start: string, end: string): string[] {
  const out: string[] = [];
  const d = new Date(`${start}T00:00:00Z`);
  const last = new Date(`${end}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || Number.isNaN(last.getTime())) return out;
  while (d <= last && out.length < 400) {
    out.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

/** Spend per day (every day of the range, zeros included) and per model, largest first. */
export function aggregate(rows: UsageRow[], start: string, end: string): { days: DaySpend[]; models: ModelSpend[] } {
  const days = new Map(daysBetween(start, end).map((day) => [day, { day, total: 0, byModel: {} } as DaySpend]));
  const models = new Map<string, ModelSpend>();
  for (const row of rows) {
    const cost = Number(row.cost_usd) || 0;
    const day = days.get(row.day) ?? { day: row.day, total: 0, byModel: {} };
    day.total += cost;
    day.byModel[row.model] = (day.byModel[row.model] ?? 0) + cost;
    days.set(row.day, day);
    const m = models.get(row.model) ?? {
      model: row.model,
      provider: row.provider,
      cost: 0,
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
      images: 0,
      cacheHits: 0,
      saved: 0,
    };
    m.cost += cost;
    m.requests += row.requests;
    m.inputTokens += row.input_tokens;
    m.outputTokens += row.output_tokens;
    m.images += row.images;
    m.cacheHits += row.cache_hits ?? 0;
    m.saved += Number(row.saved_usd) || 0;
    models.set(row.model, m);
  }
  return {
    days: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
    models: [...models.values()].sort((a, b) => b.cost - a.cost || a.model.localeCompare(b.model)),
  };
}

/** A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above `value`. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

export const PRESETS = [7, 30, 90] as const;
export type PeriodChoice = (typeof PRESETS)[number] | "custom";
export const MAX_PERIOD_DAYS = 366;

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * The UTC days a report covers: the last N days up to `today`, or a custom range (both ends
 * included) — or why that range cannot be asked for (the server's own rules, said first here).
 */
export function periodOf(choice: PeriodChoice, custom: { start: string; end: string }, today: Date = new Date()): { start: string; end: string } | { error: string } {
  if (choice !== "custom") {
    return { start: isoDay(new Date(today.getTime() - (choice - 1) * 86_400_000)), end: isoDay(today) };
  }
  const valid = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
  if (!valid(custom.start) || !valid(custom.end)) return { error: "Pick the first and the last day." };
  if (custom.start > custom.end) return { error: "The first day must be on or before the last day." };
  if (daysBetween(custom.start, custom.end).length > MAX_PERIOD_DAYS) return { error: `A period can span at most ${MAX_PERIOD_DAYS} days.` };
  return { start: custom.start, end: custom.end };
}

/** The CSV export of a period, as a same-origin link (the session cookie goes with it). */
export function exportHref(period: { start: string; end: string }): string {
  return `/api/v1/usage/export?${new URLSearchParams({ start: period.start, end: period.end, scope: "own" }).toString()}`;
}
