import { describe, expect, it } from "vitest";
import type { ChatEvent } from "@/api/chatEvents";
import type { Message } from "@/api/types";
import { message } from "@/test/factories";
import { type ChatState, chatReducer, initialChat, siblingsOf, toTurns } from "./chatState";

const apply = (state: ChatState, ...events: ChatEvent[]) => events.reduce((s, event) => chatReducer(s, { type: "event", event }), state);

/** A two-turn branch: u1 → a1 → u2 → a2. */
function branch() {
  const u1 = message({ role: "user", content: "one" });
  const a1 = message({ role: "assistant", parent_id: u1.id, content: "first" });
  const u2 = message({ role: "user", parent_id: a1.id, content: "two" });
  const a2 = message({ role: "assistant", parent_id: u2.id, content: "second" });
  for (const m of [u1, a1, u2, a2]) m.sibling_ids = [m.id];
  const loaded = chatReducer(initialChat, { type: "loaded", messages: [u1, a1, u2, a2], olderCursor: null });
  return { u1, a1, u2, a2, loaded };
}

function started(user: Message | null, reply: Message): ChatEvent {
  return { event: "message", data: { conversation_id: "c", conversation_title: null, user_message: user, assistant_message: reply, max_cost_usd: "0.01" } };
}

describe("chatReducer: editing a message", () => {
  it("cuts the branch at the edited message and shows the new version pending", () => {
    const { u1, a1, u2, loaded } = branch();
    const s = chatReducer(loaded, { type: "fork", at: u2.id, content: "two, edited", now: "2025-01-01T00:00:00Z" });
    expect(s.messages.map((m) => m.id)).toEqual([u1.id, a1.id]);
    expect(s.pending?.content).toBe("two, edited");
    expect(s.busy).toBe(true);
  });

  it("shows the new version with its siblings once the server starts the answer", () => {
    const { u1, a1, u2, loaded } = branch();
    const edited = message({ role: "user", parent_id: a1.id, content: "two, edited", sibling_ids: [] });
    edited.sibling_ids = [u2.id, edited.id];
    const reply = message({ role: "assistant", parent_id: edited.id, status: "streaming", sibling_ids: [] });
    reply.sibling_ids = [reply.id];
    let s = chatReducer(loaded, { type: "fork", at: u2.id, content: "two, edited" });
    s = apply(s, started(edited, reply), { event: "delta", data: { text: "ok" } });
    expect(s.messages.map((m) => m.id)).toEqual([u1.id, a1.id, edited.id, reply.id]);
    expect(s.pending).toBeNull();
    expect(siblingsOf(s.messages[2] as Message)).toEqual({ ids: [u2.id, edited.id], index: 1 });
    // The final row has no sibling ids: the ones the stream began with are kept.
    s = apply(s, { event: "done", data: { status: "complete", final: { ...reply, content: "ok", status: "complete", sibling_ids: [] } } });
    expect(s.messages[3]?.sibling_ids).toEqual([reply.id]);
    expect(s.restore).toBeNull();
  });

  it("puts the branch back when the server refuses the edit", () => {
    const { u1, a1, u2, a2, loaded } = branch();
    let s = chatReducer(loaded, { type: "fork", at: u2.id, content: "two, edited" });
    s = chatReducer(s, { type: "failed", error: { kind: "invalid", status: 409, code: "reply_in_progress", message: "busy", retryAfter: null, resetsAt: null } });
    expect(s.messages.map((m) => m.id)).toEqual([u1.id, a1.id, u2.id, a2.id]);
    expect(s.error?.code).toBe("reply_in_progress");
    expect(s.busy).toBe(false);
    expect(s.pending).toBeNull();
  });

  it("puts the branch back when the stream fails before the answer exists", () => {
    const { u2, loaded } = branch();
    let s = chatReducer(loaded, { type: "fork", at: u2.id, content: "x" });
    s = apply(s, { event: "error", data: { code: "budget_exceeded", message: "spent", status: "error", final: null } as never });
    expect(s.messages).toEqual(loaded.messages);
    expect(s.error?.code).toBe("budget_exceeded");
  });
});

describe("chatReducer: regenerating any answer", () => {
  it("cuts the branch at that answer and adds the new one after its question", () => {
    const { u1, a1, loaded } = branch();
    const again = message({ role: "assistant", parent_id: u1.id, status: "streaming" });
    again.sibling_ids = [a1.id, again.id];
    let s = chatReducer(loaded, { type: "fork", at: a1.id });
    expect(s.messages.map((m) => m.id)).toEqual([u1.id]);
    expect(s.pending).toBeNull();
    s = apply(s, started(null, again));
    const turns = toTurns(s.messages);
    expect(turns).toHaveLength(1);
    expect(turns[0]?.shown?.id).toBe(again.id);
    expect(siblingsOf(again)).toEqual({ ids: [a1.id, again.id], index: 1 });
  });
});

describe("chatReducer: switching branch", () => {
  it("replaces the messages with the branch the server returns", () => {
    const { u1, loaded } = branch();
    const other = message({ role: "assistant", parent_id: u1.id, content: "other" });
    let s = chatReducer(loaded, { type: "failed", error: { kind: "network", status: 0, code: "network", message: "x", retryAfter: null, resetsAt: null } });
    s = chatReducer(s, { type: "switched", messages: [other, u1], olderCursor: "more" });
    expect(s.messages.map((m) => m.id)).toEqual([u1.id, other.id]);
    expect(s.olderCursor).toBe("more");
    expect(s.error).toBeNull();
  });
});

describe("siblingsOf", () => {
  it("is the message alone when the server gave no siblings", () => {
    const m = message({ role: "user" });
    expect(siblingsOf(m)).toEqual({ ids: [m.id], index: 0 });
  });
});
