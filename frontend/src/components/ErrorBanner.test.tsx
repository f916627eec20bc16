import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppError } from "@/api/errors";
import { ErrorBanner } from "./ErrorBanner";

const base: AppError = { kind: "rate_limited", status: 429, code: "rate_limited", message: "Too many requests.", retryAfter: 3, resetsAt: null };

afterEach(() => vi.useRealTimers());

describe("ErrorBanner", () => {
  it("counts down the time to retry", () => {
    vi.useFakeTimers();
    render(<ErrorBanner error={base} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Rate limited. Too many requests. Try again in 3 s.");
    act(() => vi.advanceTimersByTime(2000));
    expect(screen.getByTestId("retry-after")).toHaveTextContent("Try again in 1 s.");
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByTestId("retry-after")).toHaveTextContent("You can try again now.");
  });

  it("says when a spent budget resets", () => {
    render(<ErrorBanner error={{ ...base, kind: "budget", code: "budget_exceeded", resetsAt: "2030-01-01T00:00:00Z" }} />);
    expect(screen.getByRole("alert")).toHaveTextContent(/Budget exhausted\..*It resets/);
  });

  it("names overload and provider failures", () => {
    const { rerender } = render(<ErrorBanner error={{ ...base, kind: "overloaded", code: "overloaded", retryAfter: null }} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Lockgate is overloaded.");
    rerender(<ErrorBanner error={{ ...base, kind: "provider", code: "provider_unavailable", retryAfter: null }} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Provider unavailable.");
  });
});
