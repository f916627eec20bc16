import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AppError, fromResponse } from "@/api/errors";
import { jsonResponse } from "@/test/factories";
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

  it("tells a send shed by a busy server to try again in the Retry-After", () => {
    vi.useFakeTimers();
    const body = { error: { code: "overloaded", message: "This server is busy; nothing was saved. Send the message again in a moment." } };
    render(<ErrorBanner error={fromResponse(jsonResponse(503, body, { "Retry-After": "1" }), body)} />);
    expect(screen.getByRole("alert")).toHaveTextContent(
      "Lockgate is overloaded. This server is busy; nothing was saved. Send the message again in a moment. Try again in 1 s.",
    );
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByTestId("retry-after")).toHaveTextContent("You can try again now.");
  });

  it("says when a spent budget resets", () => {
    render(<ErrorBanner error={{ ...base, kind: "budget", code: "budget_exceeded", resetsAt: "2030-01-01T00:00:00Z" }} />);
    expect(screen.getByRole("alert")).toHaveTextContent(/Budget exhausted\..*It resets/);
  });

  it("says the reset time once, formatted, from a real budget refusal", () => {
    const message =
      "Your daily budget of $105.20000000 is spent ($105.20000000 used, $0E-8 in flight; this call could cost up to $0.00012300). It resets at 2030-01-01T00:00:00+00:00.";
    const body = { error: { code: "budget_exceeded", message } };
    const error = fromResponse(jsonResponse(429, body, { "Retry-After": "60", "X-Budget-Resets-At": "2030-01-01T00:00:00+00:00" }), body);
    render(<ErrorBanner error={error} />);
    const text = screen.getByRole("alert").textContent ?? "";
    expect(text.match(/resets/gi)).toHaveLength(1);
    expect(text).not.toMatch(/E-8|0000|T00:00/);
    expect(text).toContain("$105.20 ");
  });

  it("names overload and provider failures", () => {
    const { rerender } = render(<ErrorBanner error={{ ...base, kind: "overloaded", code: "overloaded", retryAfter: null }} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Lockgate is overloaded.");
    rerender(<ErrorBanner error={{ ...base, kind: "provider", code: "provider_unavailable", retryAfter: null }} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Provider unavailable.");
  });
});
