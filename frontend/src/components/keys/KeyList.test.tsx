import { render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { ApiKey } from "@/api/types";
import { KeyList } from "./KeyList";

const NOW = Date.parse("2030-01-01T21:00:00Z");

function key(over: Partial<ApiKey> = {}, spend: Partial<ApiKey["spend"]> = {}): ApiKey {
  return {
    id: "k1",
    user_id: "u1",
    name: "batch",
    prefix: "lg-abcdefg",
    daily_budget_usd: "1.00000000",
    monthly_budget_usd: "20.00000000",
    rpm: null,
    tpm: 100000,
    allowed_models: null,
    expires_at: null,
    revoked_at: null,
    last_used_at: "2030-01-01T20:55:00Z",
    created_at: "2030-01-01T10:00:00Z",
    status: "active",
    spend: {
      today_usd: "1.00000000",
      month_usd: "0.00002400",
      daily_remaining_usd: "0E-8",
      monthly_remaining_usd: "19.99997600",
      day_resets_at: "2030-01-02T00:00:00Z",
      month_resets_at: "2030-02-01T00:00:00Z",
      timezone: "UTC",
      ...spend,
    },
    ...over,
  };
}

describe("the keys list", () => {
  it("says when a budget is used up and when it resets", () => {
    render(<KeyList keys={[key()]} onRevoke={vi.fn()} now={NOW} />);
    const today = screen.getByTestId("key-spend-today");
    expect(today).toHaveTextContent("$1.00 of $1.00");
    expect(today).toHaveTextContent("Budget used up");
    expect(today).toHaveTextContent("resets in 3 h");
    expect(screen.getByTestId("key-spend-month")).toHaveTextContent("$0.000024 of $20.00");
    expect(screen.getByTestId("key-spend-month")).toHaveTextContent("$20.00 left");
    expect(screen.getByTestId("key-last-used")).toHaveTextContent("5 min ago");
    expect(screen.getByText("100,000 tokens/min")).toBeInTheDocument();
  });

  it("a revoked key has no revoke button and says when it was revoked", () => {
    render(<KeyList keys={[key({ status: "revoked", revoked_at: "2030-01-01T12:00:00Z" })]} onRevoke={vi.fn()} now={NOW} />);
    const card = screen.getByTestId("key");
    expect(within(card).getByTestId("key-status")).toHaveTextContent("Revoked");
    expect(within(card).queryByRole("button")).toBeNull();
    expect(within(card).getByText("Revoked", { selector: "dt" })).toBeInTheDocument();
  });

  it("without a budget only the spend is shown", () => {
    render(<KeyList keys={[key({ daily_budget_usd: null }, { daily_remaining_usd: null, today_usd: "0E-8" })]} onRevoke={vi.fn()} now={NOW} />);
    expect(screen.getByTestId("key-spend-today")).toHaveTextContent(/^\$0\.00$/);
  });
});
