import { describe, expect, it } from "vitest";
import type { ProviderHealth } from "@/api/types";
import { breakerTone, budgetShares, overall } from "./providers";

const provider = (over: Partial<ProviderHealth> = {}): ProviderHealth => ({
  name: "openai",
  type: "openai",
  breaker: "closed",
  breaker_open_until: null,
  budgets: [],
  budget_status: "ok",
  headroom: null,
  in_flight: 0,
  queued: 0,
  max_concurrent: 8,
  last_error: null,
  ...over,
});

const budget = (spent: string, reserved: string, limit: string) => ({
  scope: "provider:openai",
  period: "daily",
  limit_usd: limit,
  spent_usd: spent,
  reserved_usd: reserved,
  ratio: 0,
  resets_at: "2030-01-01T00:00:00Z",
});

describe("provider status", () => {
  it("colours breaker states", () => {
    expect(breakerTone("closed")).toBe("ok");
    expect(breakerTone("half_open")).toBe("warn");
    expect(breakerTone("open")).toBe("bad");
  });

  it("splits a budget into spent and reserved shares, warning at 90 %", () => {
    expect(budgetShares(budget("4", "1", "10"))).toEqual({ spent: 0.4, reserved: 0.1, tone: "ok" });
    expect(budgetShares(budget("8.5", "0.6", "10")).tone).toBe("warn");
    expect(budgetShares(budget("10", "0", "10")).tone).toBe("bad");
  });

  it("summarises the worst state", () => {
    expect(overall(provider())).toEqual({ tone: "ok", label: "Healthy" });
    expect(overall(provider({ breaker: "open" })).label).toBe("Unavailable");
    expect(overall(provider({ budgets: [budget("10", "0", "10")] })).label).toBe("Budget spent");
    expect(overall(provider({ breaker: "half_open" })).label).toBe("Recovering");
  });
});
