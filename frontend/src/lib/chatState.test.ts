import { describe, expect, it } from "vitest";
import type { ChatEvent } from "@/api/chatEvents";
import { message } from "@/test/factories";
import { type ChatState, chatReducer, initialChat, streamingReply, toTurns } from "./chatState";

const apply = (state: ChatState, ...events: ChatEvent[]) => events.reduce((s, event) => chatReducer(s, { type: "event", event }), state);

describe("chatReducer: a sent message", () => {
  const user = message({ role: "user", content: "hi" });
  const reply = message({ role: "assistant", parent_id: user.id, status: "streaming" });

  it("shows the user's text at once, then the reply token by token", () => {
    let s = chatReducer(initialChat, { type: "send", content: "hi", now: "2025-01-01T00:00:00Z" });
    expect(s.pending?.content).toBe("hi");
    expect(s.busy).toBe(true);
    s = apply(s, { event: "message", data: { conversation_id: "c", conversation_title: "hi", user_message: user, assistant_message: reply, max_cost_usd: "0.01" } });
    expect(s.pending).toBeNull();
    expect(s.streamingId).toBe(reply.id);
    s = apply(s, { event: "delta", data: { text: "Hel" } }, { event: "delta", data: { text: "lo" } });
    expect(s.messages.find((m) => m.id === reply.id)?.content).toBe("Hello");
    s = apply(s, { event: "usage", data: { input_tokens: 3, output_tokens: 2, cost_usd: "0.00001", first_token_ms: 5, latency_ms: 40, cost_exact: null, provider: null, model: null, cached: false, saved_usd: null } });
    expect(s.messages.find((m) => m.id === reply.id)).toMatchObject({ input_tokens: 3, output_tokens: 2, cost_usd: "0.00001" });
    s = apply(s, { event: "done", data: { status: "complete", final: { ...reply, content: "Hello", status: "complete" } } });
    expect(s.busy).toBe(false);
    expect(s.streamingId).toBeNull();
    expect(s.messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ["user", "hi", "complete"],
      ["assistant", "Hello", "complete"],
    ]);
  });

  it("replays a re-attached reply from its start without doubling the text", () => {
    const saved = { ...reply, content: "Hello wor" };
    let s = chatReducer(initialChat, { type: "loaded", messages: [user, saved], olderCursor: null });
    s = chatReducer(s, { type: "attach" });
    s = apply(s, { event: "message", data: { conversation_id: "c", conversation_title: null, user_message: null, assistant_message: saved, max_cost_usd: null } });
    s = apply(s, { event: "delta", data: { text: "Hello wor" } }, { event: "delta", data: { text: "ld" } });
    expect(s.messages.find((m) => m.id === reply.id)?.content).toBe("Hello world");
  });

  it("keeps the partial text when the reply is stopped", () => {
    let s = apply(initialChat, { event: "message", data: { conversation_id: "c", conversation_title: null, user_message: user, assistant_message: reply, max_cost_usd: null } });
    s = apply(s, { event: "delta", data: { text: "Part" } }, { event: "done", data: { status: "cancelled", final: null } });
    expect(s.messages.find((m) => m.id === reply.id)).toMatchObject({ content: "Part", status: "cancelled" });
  });

  it("marks a reply that failed mid-way, keeping its text", () => {
    let s = apply(initialChat, { event: "message", data: { conversation_id: "c", conversation_title: null, user_message: user, assistant_message: reply, max_cost_usd: null } });
    s = apply(s, { event: "delta", data: { text: "Par" } }, { event: "error", data: { code: "provider_unavailable", message: "cut", status: "incomplete", final: null } });
    expect(s.messages.find((m) => m.id === reply.id)).toMatchObject({ content: "Par", status: "incomplete", error_code: "provider_unavailable" });
    expect(s.error).toBeNull();
    expect(s.busy).toBe(false);
  });

  it("shows a refusal of the request as a banner", () => {
    let s = chatReducer(initialChat, { type: "send", content: "hi", now: "x" });
    s = chatReducer(s, {
      type: "failed",
      error: { kind: "rate_limited", status: 429, code: "rate_limited", message: "slow down", retryAfter: 3, resetsAt: null },
    });
    expect(s.error?.kind).toBe("rate_limited");
    expect(s.pending).toBeNull();
    expect(s.busy).toBe(false);
  });

  it("keeps the banner when the messages are re-synced", () => {
    let s = chatReducer(initialChat, {
      type: "failed",
      error: { kind: "budget", status: 429, code: "budget_exceeded", message: "spent", retryAfter: 3, resetsAt: null },
    });
    s = chatReducer(s, { type: "synced", messages: [user], olderCursor: null });
    expect(s.error?.code).toBe("budget_exceeded");
    expect(s.messages).toHaveLength(1);
  });
});

describe("toTurns", () => {
  it("pairs each user message of the branch with the answer that follows it", () => {
    const u1 = message({ role: "user" });
    const a1 = message({ role: "assistant", parent_id: u1.id });
    const u2 = message({ role: "user", parent_id: a1.id });
    const turns = toTurns([u1, a1, u2]);
    expect(turns.map((t) => [t.user?.id, t.shown?.id ?? null])).toEqual([
      [u1.id, a1.id],
      [u2.id, null],
    ]);
  });

  it("shows a reply whose question is on an older page on its own", () => {
    const a = message({ role: "assistant", parent_id: "elsewhere" });
    expect(toTurns([a])).toEqual([{ user: null, shown: a }]);
  });
});

describe("streamingReply", () => {
  it("finds the last assistant message still streaming", () => {
    const u = message({ role: "user" });
    const done = message({ role: "assistant", parent_id: u.id });
    const live = message({ role: "assistant", parent_id: u.id, status: "streaming" });
    expect(streamingReply([u, done, live])?.id).toBe(live.id);
    expect(streamingReply([u, done])).toBeNull();
  });
});

describe("loading older pages", () => {
  it("merges without duplicates, in order", () => {
    const [m1, m2, m3] = [message(), message(), message()];
    let s = chatReducer(initialChat, { type: "loaded", messages: [m2!, m3!], olderCursor: "c1" });
    s = chatReducer(s, { type: "older", messages: [m1!, m2!], olderCursor: null });
    expect(s.messages.map((m) => m.id)).toEqual([m1!.id, m2!.id, m3!.id]);
    expect(s.olderCursor).toBeNull();
  });
});

describe("chatReducer: the connection to a live reply", () => {
  const user = message({ role: "user", content: "hi" });
  const reply = message({ role: "assistant", parent_id: user.id, status: "streaming" });
  const started = () =>
    apply(chatReducer(initialChat, { type: "send", content: "hi", now: "x" }), { event: "message", data: {
      conversation_id: "c",
      conversation_title: "hi",
      user_message: user,
      assistant_message: reply,
      max_cost_usd: null,
    } }, { event: "delta", data: { text: "Hel" } });

  it("reconnecting keeps the text and stays busy (nothing else is sent meanwhile)", () => {
    const s = chatReducer(started(), { type: "reconnecting", attempt: 2, messageId: reply.id });
    expect(s.connection).toEqual({ state: "reconnecting", attempt: 2, messageId: reply.id });
    expect(s.busy).toBe(true);
    expect(s.pending).toBeNull(); // the message is saved: it is never offered for sending again
    expect(s.messages.find((m) => m.id === reply.id)?.content).toBe("Hel");
  });

  it("the re-attached stream clears it and replays the reply from its start", () => {
    let s = chatReducer(started(), { type: "reconnecting", attempt: 1, messageId: reply.id });
    s = chatReducer(s, { type: "attach" });
    s = apply(s, { event: "message", data: { conversation_id: "c", conversation_title: null, user_message: null, assistant_message: { ...reply, content: "Hel" }, max_cost_usd: null } });
    expect(s.connection).toEqual({ state: "ok" });
    s = apply(s, { event: "delta", data: { text: "Hello" } }, { event: "done", data: { status: "complete", final: null } });
    expect(s.messages.find((m) => m.id === reply.id)).toMatchObject({ content: "Hello", status: "complete" });
  });

  it("lost: no longer busy or streaming (no caret forever), the text kept", () => {
    const s = chatReducer(started(), { type: "lost", messageId: reply.id });
    expect(s).toMatchObject({ busy: false, streamingId: null, connection: { state: "lost", messageId: reply.id } });
    expect(s.messages.find((m) => m.id === reply.id)?.content).toBe("Hel");
  });

  it("a new send starts with a fine connection", () => {
    const s = chatReducer(chatReducer(started(), { type: "lost", messageId: reply.id }), { type: "send", content: "again", now: "y" });
    expect(s.connection).toEqual({ state: "ok" });
  });
});

describe("chatReducer: a reply the server no longer generates", () => {
  it("is shown as incomplete, not streaming forever", () => {
    const user = message({ role: "user", content: "hi" });
    const orphan = message({ role: "assistant", parent_id: user.id, status: "streaming", content: "Half" });
    let s = chatReducer(initialChat, { type: "loaded", messages: [user, orphan], olderCursor: null });
    s = chatReducer(s, { type: "attach" });
    s = apply(
      s,
      { event: "message", data: { conversation_id: "c", conversation_title: null, user_message: null, assistant_message: orphan, max_cost_usd: null } },
      { event: "delta", data: { text: "Half" } },
      { event: "error", data: { code: "not_live", message: "This reply is not being generated by this server any more.", status: "streaming", final: orphan } },
    );
    expect(s.messages.find((m) => m.id === orphan.id)).toMatchObject({ status: "incomplete", content: "Half", error_code: "not_live" });
    expect(s.busy).toBe(false);
  });
});

describe("chatReducer: a reply answered by a fallback candidate", () => {
  const user = message({ role: "user", content: "hi" });
  const reply = message({ role: "assistant", parent_id: user.id, status: "streaming" });
  const first: ChatEvent = { event: "message", data: { conversation_id: "c", conversation_title: null, user_message: user, assistant_message: reply, max_cost_usd: null } };
  const fallback = (from: string, to: string): ChatEvent => ({
    event: "fallback",
    data: { from_provider: from, from_model: `${from}-m`, to_provider: to, to_model: `${to}-m`, reason: "provider_unavailable" },
  });

  it("remembers, for that reply, who was asked first and who answers", () => {
    const s = apply(initialChat, first, fallback("alpha", "beta"));
    expect(s.fallbacks[reply.id]).toEqual({ from_provider: "alpha", from_model: "alpha-m", to_provider: "beta", to_model: "beta-m", reason: "provider_unavailable" });
  });

  it("keeps the primary through several fallbacks and names the last one", () => {
    const s = apply(initialChat, first, fallback("alpha", "beta"), fallback("beta", "gamma"));
    expect(s.fallbacks[reply.id]).toMatchObject({ from_provider: "alpha", to_provider: "gamma" });
  });

  it("keeps the note after the reply ends, and forgets it with the conversation", () => {
    let s = apply(initialChat, first, fallback("alpha", "beta"), { event: "delta", data: { text: "Hi" } }, { event: "done", data: { status: "complete", final: { ...reply, status: "complete", content: "Hi" } } });
    expect(s.fallbacks[reply.id]?.to_provider).toBe("beta");
    s = chatReducer(s, { type: "reset" });
    expect(s.fallbacks).toEqual({});
  });

  it("ignores a fallback outside a live reply", () => {
    expect(apply(initialChat, fallback("alpha", "beta")).fallbacks).toEqual({});
  });
});
