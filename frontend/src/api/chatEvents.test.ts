import { describe, expect, it } from "vitest";
import { parseChatEvent } from "./chatEvents";
import { message } from "@/test/factories";

const ev = (event: string, data: unknown) => ({ event, data: JSON.stringify(data), id: null });

describe("parseChatEvent", () => {
  it("reads the first event with both rows", () => {
    const a = message({ role: "assistant", status: "streaming" });
    const u = message({ role: "user" });
    expect(parseChatEvent(ev("message", { conversation_id: "c1", conversation_title: "T", user_message: u, assistant_message: a, max_cost_usd: "0.01" }))).toEqual({
      type: "message",
      conversationId: "c1",
      conversationTitle: "T",
      userMessage: u,
      assistantMessage: a,
      maxCostUsd: "0.01",
    });
  });

  it("reads a re-attach first event without a user message or title", () => {
    const a = message({ role: "assistant" });
    const parsed = parseChatEvent(ev("message", { conversation_id: "c1", assistant_message: a }));
    expect(parsed).toMatchObject({ type: "message", userMessage: null, conversationTitle: null });
  });

  it("reads delta, usage, done and error", () => {
    expect(parseChatEvent(ev("delta", { text: "hi" }))).toEqual({ type: "delta", text: "hi" });
    expect(parseChatEvent(ev("usage", { input_tokens: 3, output_tokens: 5, cost_usd: "0.0001", latency_ms: 12 }))).toMatchObject({
      type: "usage",
      inputTokens: 3,
      outputTokens: 5,
      costUsd: "0.0001",
      latencyMs: 12,
    });
    expect(parseChatEvent(ev("done", { status: "cancelled", final: null }))).toEqual({ type: "done", status: "cancelled", final: null });
    expect(parseChatEvent(ev("error", { code: "provider_timeout", message: "slow", status: "incomplete", final: null }))).toEqual({
      type: "error",
      code: "provider_timeout",
      message: "slow",
      status: "incomplete",
      final: null,
    });
  });

  it("ignores unknown events", () => {
    expect(parseChatEvent(ev("heartbeat", { t: 1 }))).toBeNull();
    expect(parseChatEvent(ev("message", {}))).toBeNull();
  });

  it("ignores malformed data instead of throwing", () => {
    expect(parseChatEvent({ event: "delta", data: "{not json", id: null })).toBeNull();
    expect(parseChatEvent(ev("delta", { text: 5 }))).toBeNull();
    expect(parseChatEvent(ev("delta", [1, 2]))).toBeNull();
  });
});
