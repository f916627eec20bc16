import type { BudgetStatus, ProviderHealth } from "@/api/types";

export type Tone = "ok" | "warn" | "bad" | "none";

/** closed = healthy, half_open = probing, open = cut off. */
export function breakerTone(state: string): Tone {
  if (state === "closed") return "ok";
  if (state === "half_open") return "warn";
  if (state === "open") return "bad";
  return "none";
}

export function breakerLabel(state: string): string {
  switch (state) {
    case "closed":
      return "healthy";
    case "half_open":
      return "recovering (probing)";
    case "open":
      return "cut off (breaker open)";
    default:
      return "unknown";
  }
}

/** Spent and reserved as shares of the limit; 90 % is where the alert fires. */
export function budgetShares(b: BudgetStatus): { spent: number; reserved: number; tone: Tone } {
  const limit = Number(b.limit_usd);
  if (!(limit > 0)) return { spent: 1, reserved: 0, tone: "bad" };
  const spent = Math.min(1, Number(b.spent_usd) / limit);
  const reserved = Math.min(1 - spent, Number(b.reserved_usd) / limit);
  const used = spent + reserved;
  return { spent, reserved, tone: used >= 1 ? "bad" : used >= 0.9 ? "warn" : "ok" };
}

/** The provider's overall state, worst first. */
export function overall(p: ProviderHealth): { tone: Tone; label: string } {
  if (p.breaker === "open") return { tone: "bad", label: "Unavailable" };
  if (p.budgets.some((b) => budgetShares(b).tone === "bad")) return { tone: "bad", label: "Budget spent" };
  if (p.headroom?.blocked_until && Date.parse(p.headroom.blocked_until) > Date.now()) {
    return { tone: "warn", label: "Rate limited" };
  }
  if (p.breaker === "half_open") return { tone: "warn", label: "Recovering" };
  if (p.budget_status !== "ok") return { tone: "warn", label: "Budgets unavailable" };
  if (p.max_concurrent && p.queued && p.queued > 0) return { tone: "warn", label: "Busy" };
  return { tone: "ok", label: "Healthy" };
}
