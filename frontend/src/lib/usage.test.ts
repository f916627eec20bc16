import { describe, expect, it } from "vitest";
import type { UsageRow } from "@/api/types";
import { tickLabel } from "@/components/UsageChart";
import { aggregate, daysBetween, niceMax } from "./usage";

const row = (day: string, model: string, cost: string, requests = 1): UsageRow => ({
  day,
  model,
  provider: "simulated",
  requests,
  input_tokens: 10,
  output_tokens: 20,
  images: 0,
  cost_usd: cost,
  saved_usd: "0",
});

describe("usage aggregation", () => {
  it("lists every day of the range, zeros included", () => {
    expect(daysBetween("2025-02-27", "2025-03-02")).toEqual(["2025-02-27", "2025-02-28", "2025-03-01", "2025-03-02"]);
  });

  it("sums spend per day and per model", () => {
    const { days, models } = aggregate(
      [row("2025-01-01", "a", "0.5"), row("2025-01-01", "b", "0.25"), row("2025-01-03", "a", "1", 2)],
      "2025-01-01",
      "2025-01-03",
    );
    expect(days.map((d) => [d.day, d.total])).toEqual([
      ["2025-01-01", 0.75],
      ["2025-01-02", 0],
      ["2025-01-03", 1],
    ]);
    expect(models.map((m) => [m.model, m.cost, m.requests])).toEqual([
      ["a", 1.5, 3],
      ["b", 0.25, 1],
    ]);
  });

  it("picks a round axis maximum", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(0.0031)).toBeCloseTo(0.005);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(120)).toBe(200);
  });
});


describe("chart axis labels", () => {
  it("stay short and readable for tiny and large amounts", () => {
    expect(tickLabel(0)).toBe("$0");
    expect(tickLabel(0.00005)).toBe("$0.00005");
    expect(tickLabel(0.000025)).toBe("$0.000025");
    expect(tickLabel(1e-7)).toBe("$0.0000001");
    expect(tickLabel(2.5)).toBe("$2.5");
    expect(tickLabel(10)).toBe("$10");
  });
});
