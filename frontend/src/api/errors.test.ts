import { describe, expect, it } from "vitest";
import { jsonResponse } from "@/test/factories";
import { classify, errorTitle, formatWait, fromResponse, fromStreamError, humanValidation, networkError, parseRetryAfter } from "./errors";

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
    [401, "not_authenticated", "auth"],
    [401, "http_401", "auth"],
    [401, "invalid_credentials", "invalid"],
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

describe("errors are read by code, not by status alone", () => {
  it("a wrong current password is not a sign-in problem", () => {
    const body = { error: { code: "invalid_credentials", message: "The current password is incorrect." } };
    const e = fromResponse(jsonResponse(401, body), body);
    expect(e.kind).toBe("invalid");
    expect(`${errorTitle(e)}. ${e.message}`).toBe("Not accepted. The current password is incorrect.");
  });

  it("a missing session still is", () => {
    const body = { error: { code: "not_authenticated", message: "Sign in to continue." } };
    expect(errorTitle(fromResponse(jsonResponse(401, body), body))).toBe("Not signed in");
  });

  it("a too-long message is said in words, not pydantic's", () => {
    const body = { error: { code: "validation_error", message: "content: String should have at most 100000 characters" } };
    const e = fromResponse(jsonResponse(422, body), body);
    expect(`${errorTitle(e)}. ${e.message}`).toBe("Cannot send this. Your message is too long (at most 100,000 characters).");
  });

  it.each([
    ["title: String should have at least 1 character", "The title is empty."],
    ["body.new_password: Field required", "The new password is missing."],
    ["n: Input should be less than or equal to 4", "The number of images is too large (at most 4)."],
    ["content: Input should be a valid string; model: String should have at most 200 characters", "Your message is not valid. The model is too long (at most 200 characters)."],
    ["", "Some of what you entered is not valid."],
  ])("422 %j", (raw, human) => {
    expect(humanValidation(raw)).toBe(human);
  });

  it("a budget refusal shows formatted amounts and no raw reset time (the banner says it once)", () => {
    const message =
      "Your daily budget of $105.20000000 is spent ($105.20000000 used, $0E-8 in flight; this call could cost up to $0.00012300). It resets at 2030-01-01T00:00:00+00:00.";
    const body = { error: { code: "budget_exceeded", message } };
    const e = fromResponse(jsonResponse(429, body, { "Retry-After": "60", "X-Budget-Resets-At": "2030-01-01T00:00:00+00:00" }), body);
    expect(e.message).toBe("Your daily budget of $105.20 is spent ($105.20 used, $0.00 in flight; this call could cost up to $0.00012).");
  });

  it("the routed budget refusal loses its reset clause too", () => {
    const message = "The budget for sim-small is spent on every provider that serves it (provider:simulated:daily); it resets at 2030-01-01T00:00:00+00:00.";
    const body = { error: { code: "budget_exceeded", message } };
    const e = fromResponse(jsonResponse(429, body, { "X-Budget-Resets-At": "2030-01-01T00:00:00+00:00" }), body);
    expect(e.message).toBe("The budget for sim-small is spent on every provider that serves it (provider:simulated:daily).");
  });

  it("a network failure is said for people, not as the browser's 'Failed to fetch'", () => {
    const e = networkError(new TypeError("Failed to fetch"));
    expect(e.message).not.toContain("Failed to fetch");
    expect(errorTitle(e)).toBe("Connection problem");
  });
});
