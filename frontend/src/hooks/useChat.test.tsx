import { act, renderHook, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, message, sse, streamResponse } from "@/test/factories";
import { useChat } from "./useChat";

type Handler = (request: Request) => Response | Promise<Response>;

function stubFetch(routes: Record<string, Handler>) {
  const calls: Request[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    const request = input instanceof Request ? input : new Request(String(input));
    calls.push(request);
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    const handler = routes[key];
    if (!handler) throw new Error(`unexpected ${key}`);
    return handler(request);
  });
  vi.stubGlobal("fetch", fetchMock);
  return calls;
}

const CID = "11111111-1111-4111-8111-111111111111";

beforeEach(() => {
  document.cookie = "lockgate_csrf=csrf-abc";
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("useChat", () => {
  it("re-attaches after a reload to the reply still streaming, and it continues", async () => {
    const user = message({ role: "user", content: "story please" });
    const live = message({ role: "assistant", parent_id: user.id, status: "streaming", content: "Once up" });
    const calls = stubFetch({
      [`GET /api/v1/conversations/${CID}`]: () =>
        jsonResponse(200, { id: CID, title: "t", system_prompt: "", created_at: user.created_at, updated_at: user.created_at, messages: { items: [user, live], next_cursor: null } }),
      [`GET /api/v1/messages/${live.id}/stream`]: () =>
        streamResponse(
          sse([
            ["message", { conversation_id: CID, assistant_message: { ...live, content: "" } }],
            ["delta", { text: "Once up" }],
            ["delta", { text: "on a time" }],
            ["done", { status: "complete", final: { ...live, content: "Once upon a time", status: "complete" } }],
          ]),
          9,
        ),
    });
    const { result } = renderHook(() => useChat(CID));
    await waitFor(() => expect(result.current.state.messages.at(-1)?.status).toBe("complete"));
    expect(result.current.state.messages.at(-1)?.content).toBe("Once upon a time");
    expect(calls.map((r) => new URL(r.url).pathname)).toContain(`/api/v1/messages/${live.id}/stream`);
    expect(result.current.state.busy).toBe(false);
  });

  it("sends with the CSRF header and streams the answer in", async () => {
    const user = message({ role: "user", content: "hi" });
    const reply = message({ role: "assistant", parent_id: user.id, status: "streaming" });
    const titles: (string | null)[] = [];
    const calls = stubFetch({
      [`GET /api/v1/conversations/${CID}`]: () =>
        jsonResponse(200, { id: CID, title: "t", system_prompt: "", created_at: user.created_at, updated_at: user.created_at, messages: { items: [], next_cursor: null } }),
      [`POST /api/v1/conversations/${CID}/messages`]: () =>
        streamResponse(
          sse([
            ["message", { conversation_id: CID, conversation_title: "hi", user_message: user, assistant_message: reply, max_cost_usd: "0.002" }],
            ["delta", { text: "Hel" }],
            ["delta", { text: "lo!" }],
            ["usage", { input_tokens: 1, output_tokens: 2, cost_usd: "0.000002" }],
            ["done", { status: "complete", final: { ...reply, content: "Hello!", status: "complete", output_tokens: 2, cost_usd: "0.000002" } }],
          ]),
          13,
        ),
    });
    const { result } = renderHook(() => useChat(CID, { onConversation: (_id, title) => titles.push(title) }));
    await waitFor(() => expect(calls).toHaveLength(1));
    let failure: unknown = "unset";
    await act(async () => {
      failure = await result.current.send(CID, "hi", "sim-small");
    });
    expect(failure).toBeNull();
    const post = calls.find((r) => r.method === "POST")!;
    expect(post.headers.get("X-CSRF-Token")).toBe("csrf-abc");
    expect(await post.json()).toEqual({ content: "hi", model: "sim-small" });
    expect(result.current.state.messages.map((m) => m.content)).toEqual(["hi", "Hello!"]);
    expect(result.current.state.messages[1]).toMatchObject({ cost_usd: "0.000002", status: "complete" });
    expect(titles).toEqual(["hi"]);
  });

  it("maps a 429 refusal to a banner with the time to retry", async () => {
    stubFetch({
      [`POST /api/v1/conversations/${CID}/messages`]: () =>
        jsonResponse(429, { error: { code: "rate_limited", message: "Too many requests." } }, { "Retry-After": "12" }),
    });
    const { result } = renderHook(() => useChat(null));
    await act(async () => {
      await result.current.send(CID, "hi", null);
    });
    expect(result.current.state.error).toMatchObject({ kind: "rate_limited", retryAfter: 12, message: "Too many requests." });
    expect(result.current.state.busy).toBe(false);
  });

  it("stop asks the server to stop the reply being streamed", async () => {
    const user = message({ role: "user", content: "long" });
    const reply = message({ role: "assistant", parent_id: user.id, status: "streaming" });
    let push: (text: string) => void = () => undefined;
    let close: () => void = () => undefined;
    const calls = stubFetch({
      [`POST /api/v1/conversations/${CID}/messages`]: () => {
        const encoder = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            push = (t) => controller.enqueue(encoder.encode(t));
            close = () => controller.close();
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      },
      [`POST /api/v1/messages/${reply.id}/stop`]: () => {
        push(sse([["done", { status: "cancelled", final: { ...reply, content: "Par", status: "cancelled" } }]]));
        close();
        return jsonResponse(200, { ...reply, content: "Par", status: "cancelled" });
      },
    });
    const { result } = renderHook(() => useChat(null));
    let sending: Promise<unknown> = Promise.resolve();
    act(() => {
      sending = result.current.send(CID, "long", null);
    });
    await waitFor(() => expect(calls).toHaveLength(1));
    push(sse([["message", { conversation_id: CID, user_message: user, assistant_message: reply }], ["delta", { text: "Par" }]]));
    await waitFor(() => expect(result.current.state.streamingId).toBe(reply.id));
    act(() => result.current.stop());
    await act(async () => {
      await sending;
    });
    expect(calls.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toContain(`POST /api/v1/messages/${reply.id}/stop`);
    expect(result.current.state.messages.at(-1)).toMatchObject({ status: "cancelled", content: "Par" });
  });
});
