import { describe, expect, it } from "vitest";
import type { UsageRow } from "@/api/types";
import { tickLabel } from "@/components/UsageChart";
import { aggregate, daysBetween, exportHref, niceMax, periodOf } from "./usage";

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

describe("the period of a report", () => {
  const today = new Date("2030-03-10T08:00:00Z");

  it("the last N days end today", () => {
    expect(periodOf(7, { start: "", end: "" }, today)).toEqual({ start: "2030-03-04", end: "2030-03-10" });
  });

  it("a custom range is checked as the server checks it", () => {
    expect(periodOf("custom", { start: "2030-01-01", end: "2030-01-31" }, today)).toEqual({ start: "2030-01-01", end: "2030-01-31" });
    expect(periodOf("custom", { start: "2030-02-01", end: "2030-01-31" }, today)).toHaveProperty("error");
    expect(periodOf("custom", { start: "2028-01-01", end: "2030-01-31" }, today)).toHaveProperty("error");
    expect(periodOf("custom", { start: "", end: "2030-01-31" }, today)).toHaveProperty("error");
  });

  it("the export link carries the period", () => {
    expect(exportHref({ start: "2030-01-01", end: "2030-01-31" })).toBe("/api/v1/usage/export?start=2030-01-01&end=2030-01-31&scope=own");
  });

  it("cache hits and savings add up per model", () => {
    const rows = [
      { ...row("2025-01-01", "a", "0.5"), cache_hits: 2, saved_usd: "0.25" },
      { ...row("2025-01-02", "a", "0"), cache_hits: 1, saved_usd: "0.5" },
    ];
    expect(aggregate(rows, "2025-01-01", "2025-01-02").models[0]).toMatchObject({ cacheHits: 3, saved: 0.75 });
  });
});
