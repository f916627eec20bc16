import { act, renderHook, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Message } from "@/api/types";
import { jsonResponse, message, sse, streamResponse } from "@/test/factories";
import { useChat } from "./useChat";

type Handler = (request: Request) => Response | Promise<Response>;

function stubFetch(routes: Record<string, Handler>) {
  const calls: Request[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const request = input instanceof Request ? input : new Request(String(input));
      calls.push(request);
      const handler = routes[`${request.method} ${new URL(request.url).pathname}`];
      if (!handler) throw new Error(`unexpected ${request.method} ${request.url}`);
      return handler(request);
    }),
  );
  return calls;
}

const CID = "11111111-1111-4111-8111-111111111111";

function detail(items: Message[]) {
  const at = items[0]?.created_at ?? "2025-01-01T00:00:00Z";
  return { id: CID, title: "t", system_prompt: "", created_at: at, updated_at: at, messages: { items, next_cursor: null } };
}

beforeEach(() => {
  document.cookie = "lockgate_csrf=csrf-abc";
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("useChat: branches", () => {
  const u1 = message({ role: "user", content: "one" });
  const a1 = message({ role: "assistant", parent_id: u1.id, content: "first" });

  it("an edit posts the new version to /edit and shows the new branch", async () => {
    const edited = message({ role: "user", content: "uno", sibling_ids: [] });
    edited.sibling_ids = [u1.id, edited.id];
    const reply = message({ role: "assistant", parent_id: edited.id, status: "streaming" });
    const calls = stubFetch({
      [`GET /api/v1/conversations/${CID}`]: () => jsonResponse(200, detail([u1, a1])),
      [`POST /api/v1/messages/${u1.id}/edit`]: () =>
        streamResponse(
          sse([
            ["message", { conversation_id: CID, conversation_title: "t", user_message: edited, assistant_message: reply, max_cost_usd: "0.001" }],
            ["delta", { text: "ok" }],
            ["done", { status: "complete", final: { ...reply, content: "ok", status: "complete" } }],
          ]),
        ),
    });
    const { result } = renderHook(() => useChat(CID));
    await waitFor(() => expect(result.current.state.messages).toHaveLength(2));
    let failure: unknown = "unset";
    await act(async () => {
      failure = await result.current.edit(u1.id, "uno", "sim-small");
    });
    expect(failure).toBeNull();
    const post = calls.find((r) => r.method === "POST")!;
    expect(await post.json()).toEqual({ content: "uno", model: "sim-small" });
    expect(result.current.state.messages.map((m) => m.content)).toEqual(["uno", "ok"]);
    expect(result.current.state.messages[0]?.sibling_ids).toEqual([u1.id, edited.id]);
  });

  it("a refused edit keeps the branch as it was and says why", async () => {
    stubFetch({
      [`GET /api/v1/conversations/${CID}`]: () => jsonResponse(200, detail([u1, a1])),
      [`POST /api/v1/messages/${u1.id}/edit`]: () =>
        jsonResponse(409, { error: { code: "reply_in_progress", message: "An answer is still being written." } }),
    });
    const { result } = renderHook(() => useChat(CID));
    await waitFor(() => expect(result.current.state.messages).toHaveLength(2));
    let failure: { code: string } | null = null;
    await act(async () => {
      failure = await result.current.edit(u1.id, "uno", null);
    });
    expect(failure).toMatchObject({ code: "reply_in_progress" });
    expect(result.current.state.messages.map((m) => m.id)).toEqual([u1.id, a1.id]);
    expect(result.current.state.busy).toBe(false);
  });

  it("a send names the last message shown as its parent", async () => {
    const u2 = message({ role: "user", parent_id: a1.id, content: "two" });
    const a2 = message({ role: "assistant", parent_id: u2.id, status: "streaming" });
    const calls = stubFetch({
      [`GET /api/v1/conversations/${CID}`]: () => jsonResponse(200, detail([u1, a1])),
      [`POST /api/v1/conversations/${CID}/messages`]: () =>
        streamResponse(
          sse([
            ["message", { conversation_id: CID, conversation_title: "t", user_message: u2, assistant_message: a2, max_cost_usd: "0.001" }],
            ["done", { status: "complete", final: { ...a2, content: "", status: "complete" } }],
          ]),
        ),
    });
    const { result } = renderHook(() => useChat(CID));
    await waitFor(() => expect(result.current.state.messages).toHaveLength(2));
    await act(async () => {
      await result.current.send(CID, "two", null);
    });
    const post = calls.find((r) => r.method === "POST")!;
    expect(await post.json()).toEqual({ content: "two", model: null, parent_id: a1.id });
  });

  it("switching asks the server for the branch and shows it", async () => {
    const other = message({ role: "assistant", parent_id: u1.id, content: "other" });
    const calls = stubFetch({
      [`GET /api/v1/conversations/${CID}`]: () => jsonResponse(200, detail([u1, a1])),
      [`PUT /api/v1/conversations/${CID}/branch`]: () => jsonResponse(200, detail([u1, other])),
    });
    const { result } = renderHook(() => useChat(CID));
    await waitFor(() => expect(result.current.state.messages).toHaveLength(2));
    await act(async () => {
      await result.current.switchTo(other.id);
    });
    const put = calls.find((r) => r.method === "PUT")!;
    expect(put.headers.get("X-CSRF-Token")).toBe("csrf-abc");
    expect(await put.json()).toEqual({ message_id: other.id });
    expect(result.current.state.messages.map((m) => m.content)).toEqual(["one", "other"]);
  });
});
