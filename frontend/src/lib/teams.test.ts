import { describe, expect, it } from "vitest";
import { limitsForm, parseLimits } from "./teams";

const empty = { daily_usd: "", monthly_usd: "", rpm: "", tpm: "" };

describe("parseLimits", () => {
  it("sends empty fields as no limit", () => {
    expect(parseLimits(empty)).toEqual({ ok: true, body: { daily_usd: null, monthly_usd: null, rpm: null, tpm: null } });
  });

  it("keeps amounts as exact decimal strings and counts as numbers", () => {
    const parsed = parseLimits({ daily_usd: "$12.50", monthly_usd: "100", rpm: "1,000", tpm: "200000" });
    expect(parsed).toEqual({ ok: true, body: { daily_usd: "12.50", monthly_usd: "100", rpm: 1000, tpm: 200000 } });
  });

  it("names the field that is not an amount", () => {
    expect(parseLimits({ ...empty, daily_usd: "-3" })).toMatchObject({ ok: false, field: "daily_usd" });
  });

  it("refuses a rate limit of zero", () => {
    expect(parseLimits({ ...empty, rpm: "0" })).toMatchObject({ ok: false, field: "rpm" });
  });

  it("refuses a monthly budget below the daily one", () => {
    expect(parseLimits({ ...empty, daily_usd: "10", monthly_usd: "5" })).toMatchObject({ ok: false, field: "monthly_usd" });
  });
});

describe("limitsForm", () => {
  it("shows unset limits as empty fields", () => {
    expect(limitsForm({ daily_usd: "5", monthly_usd: null, rpm: 60, tpm: null })).toEqual({ daily_usd: "5", monthly_usd: "", rpm: "60", tpm: "" });
  });
});
