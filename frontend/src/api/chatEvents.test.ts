import { describe, expect, it } from "vitest";
import { parseChatEvent } from "./chatEvents";
import { message } from "@/test/factories";

const ev = (event: string, data: unknown) => ({ event, data: JSON.stringify(data), id: null });

describe("parseChatEvent", () => {
  it("reads the first event with both rows", () => {
    const a = message({ role: "assistant", status: "streaming" });
    const u = message({ role: "user" });
    const data = { conversation_id: "c1", conversation_title: "T", user_message: u, assistant_message: a, max_cost_usd: "0.01" };
    expect(parseChatEvent(ev("message", data))).toEqual({ event: "message", data });
  });

  it("reads a re-attach first event without a user message or title", () => {
    const a = message({ role: "assistant" });
    const parsed = parseChatEvent(ev("message", { conversation_id: "c1", assistant_message: a }));
    expect(parsed).toMatchObject({ event: "message", data: { user_message: null, conversation_title: null } });
  });

  it("reads delta, usage, done and error", () => {
    expect(parseChatEvent(ev("delta", { text: "hi" }))).toEqual({ event: "delta", data: { text: "hi" } });
    expect(parseChatEvent(ev("usage", { input_tokens: 3, output_tokens: 5, cost_usd: "0.0001", latency_ms: 12 }))).toEqual({
      event: "usage",
      data: { input_tokens: 3, output_tokens: 5, cost_usd: "0.0001", cost_exact: null, first_token_ms: null, latency_ms: 12, provider: null, model: null, cached: false, saved_usd: null },
    });
    expect(parseChatEvent(ev("usage", { cost_usd: "0", cached: true, saved_usd: "0.0042" }))).toMatchObject({
      event: "usage",
      data: { cost_usd: "0", cached: true, saved_usd: "0.0042" },
    });
    expect(parseChatEvent(ev("done", { status: "cancelled", final: null }))).toEqual({ event: "done", data: { status: "cancelled", final: null } });
    expect(parseChatEvent(ev("error", { code: "provider_timeout", message: "slow", status: "incomplete", final: null }))).toEqual({
      event: "error",
      data: { code: "provider_timeout", message: "slow", status: "incomplete", final: null },
    });
  });

  it("reads a fallback: who was asked, who answers, why", () => {
    const data = { from_provider: "alpha", from_model: "main", to_provider: "beta", to_model: "backup", reason: "provider_unavailable" };
    expect(parseChatEvent(ev("fallback", data))).toEqual({ event: "fallback", data });
  });

  it("ignores a fallback that does not say who answers", () => {
    expect(parseChatEvent(ev("fallback", { from_provider: "alpha", from_model: "main", reason: "x" }))).toBeNull();
  });

  it("never trusts an unknown status", () => {
    expect(parseChatEvent(ev("done", { status: "<b>", final: null }))).toEqual({ event: "done", data: { status: "complete", final: null } });
    expect(parseChatEvent(ev("error", { code: "x", message: "m", status: 7, final: null }))).toMatchObject({ data: { status: "error" } });
  });

  it("ignores unknown events, inherited names included", () => {
    expect(parseChatEvent(ev("heartbeat", { t: 1 }))).toBeNull();
    expect(parseChatEvent(ev("toString", {}))).toBeNull();
    expect(parseChatEvent(ev("message", {}))).toBeNull();
  });

  it("ignores malformed data instead of throwing", () => {
    expect(parseChatEvent({ event: "delta", data: "{not json", id: null })).toBeNull();
    expect(parseChatEvent(ev("delta", { text: 5 }))).toBeNull();
    expect(parseChatEvent(ev("delta", [1, 2]))).toBeNull();
  });
});
