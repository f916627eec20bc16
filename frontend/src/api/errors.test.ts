import { describe, expect, it } from "vitest";
import { jsonResponse } from "@/test/factories";
import { classify, errorTitle, formatWait, fromResponse, fromStreamError, parseRetryAfter } from "./errors";

describe("error-state mapping", () => {
  it.each([
    [429, "rate_limited", "rate_limited"],
    [429, "budget_exceeded", "budget"],
    [503, "budget_unavailable", "budget"],
    [503, "overloaded", "overloaded"],
    [503, "provider_unavailable", "provider"],
    [503, "no_headroom", "provider"],
    [502, "provider_timeout", "provider"],
    [502, "bad_gateway", "provider"],
    [503, "unavailable", "overloaded"],
    [401, "session_expired", "auth"],
    [404, "not_found", "not_found"],
    [422, "weak_password", "invalid"],
    [500, "internal_error", "unknown"],
  ] as const)("%i %s is %s", (status, code, kind) => {
    expect(classify(status, code)).toBe(kind);
  });

  it("reads code, message, Retry-After and the budget reset from a response", () => {
    const response = jsonResponse(429, { error: { code: "budget_exceeded", message: "Daily budget spent." } }, {
      "Retry-After": "120",
      "X-Budget-Resets-At": "2030-01-01T00:00:00+00:00",
    });
    expect(fromResponse(response, { error: { code: "budget_exceeded", message: "Daily budget spent." } })).toEqual({
      kind: "budget",
      status: 429,
      code: "budget_exceeded",
      message: "Daily budget spent.",
      retryAfter: 120,
      resetsAt: "2030-01-01T00:00:00+00:00",
    });
  });

  it("copes with a body that is not the error shape", () => {
    const e = fromResponse(new Response("<html>", { status: 502, statusText: "Bad Gateway" }), "<html>");
    expect(e).toMatchObject({ kind: "provider", code: "http_502", message: "Bad Gateway" });
  });

  it("maps a stream error event (provider failed mid-answer)", () => {
    expect(fromStreamError({ code: "provider_unavailable", message: "down" })).toMatchObject({ kind: "provider" });
  });

  it("titles each state for the banner", () => {
    expect(errorTitle(fromResponse(jsonResponse(429, {}), { error: { code: "rate_limited", message: "" } }))).toBe("Rate limited");
    expect(errorTitle(fromResponse(jsonResponse(503, {}), { error: { code: "overloaded", message: "" } }))).toBe("Lockgate is overloaded");
  });
});

describe("Retry-After", () => {
  it("reads delta-seconds, rounding up", () => {
    expect(parseRetryAfter("7")).toBe(7);
    expect(parseRetryAfter("0.2")).toBe(1);
  });
  it("reads an HTTP date", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(parseRetryAfter("Tue, 01 Jan 2030 00:01:30 GMT", now)).toBe(90);
  });
  it("ignores garbage and absence", () => {
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
  it("formats waits for people", () => {
    expect(formatWait(42)).toBe("42 s");
    expect(formatWait(125)).toBe("2 min 5 s");
    expect(formatWait(3 * 3600 + 60)).toBe("3 h 1 min");
  });
});
