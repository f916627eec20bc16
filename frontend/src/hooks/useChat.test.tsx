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

  it("a send shed by a busy server (503 overloaded) is handed back with the time to retry", async () => {
    stubFetch({
      [`POST /api/v1/conversations/${CID}/messages`]: () =>
        jsonResponse(
          503,
          { error: { code: "overloaded", message: "This server is busy; nothing was saved. Send the message again in a moment." } },
          { "Retry-After": "1" },
        ),
    });
    const { result } = renderHook(() => useChat(null));
    let refusal: Awaited<ReturnType<typeof result.current.send>> = null;
    await act(async () => {
      refusal = await result.current.send(CID, "hi", null);
    });
    // Returned to the caller, which puts the text back in the composer: nothing is lost.
    expect(refusal).toMatchObject({ kind: "overloaded", code: "overloaded", status: 503, retryAfter: 1 });
    expect(result.current.state.error).toMatchObject({ kind: "overloaded", retryAfter: 1 });
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

  it("a stop asked before the reply exists stops that reply once it does, and never the next one", async () => {
    const first = message({ role: "user", content: "count" });
    const stopped = message({ role: "assistant", parent_id: first.id, status: "streaming" });
    const second = message({ role: "user", content: "story", parent_id: stopped.id });
    const next = message({ role: "assistant", parent_id: second.id, status: "streaming" });
    const streams: { push: (text: string) => void; close: () => void }[] = [];
    const calls = stubFetch({
      [`POST /api/v1/conversations/${CID}/messages`]: () => {
        const encoder = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            streams.push({ push: (t) => controller.enqueue(encoder.encode(t)), close: () => controller.close() });
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      },
      [`POST /api/v1/messages/${stopped.id}/stop`]: () => {
        streams[0]!.push(sse([["done", { status: "cancelled", final: { ...stopped, content: "", status: "cancelled" } }]]));
        streams[0]!.close();
        return jsonResponse(200, { ...stopped, status: "cancelled" });
      },
    });
    const stops = () => calls.filter((r) => new URL(r.url).pathname.endsWith("/stop")).map((r) => new URL(r.url).pathname);
    const { result } = renderHook(() => useChat(null));

    // Esc while the first send waits for the server: nothing to name yet, so it is remembered.
    let sending: Promise<unknown> = Promise.resolve();
    act(() => {
      sending = result.current.send(CID, "count", null);
    });
    await waitFor(() => expect(streams).toHaveLength(1));
    act(() => result.current.stop());
    streams[0]!.push(sse([["message", { conversation_id: CID, user_message: first, assistant_message: stopped }]]));
    await act(async () => {
      await sending;
    });
    expect(stops()).toEqual([`/api/v1/messages/${stopped.id}/stop`]);
    expect(result.current.state.messages.at(-1)).toMatchObject({ id: stopped.id, status: "cancelled" });

    // The next reply runs to its end: the remembered stop was spent on the first one.
    act(() => {
      sending = result.current.send(CID, "story", null);
    });
    await waitFor(() => expect(streams).toHaveLength(2));
    streams[1]!.push(
      sse([
        ["message", { conversation_id: CID, user_message: second, assistant_message: next }],
        ["delta", { text: "Once" }],
        ["done", { status: "complete", final: { ...next, content: "Once", status: "complete" } }],
      ]),
    );
    streams[1]!.close();
    await act(async () => {
      await sending;
    });
    expect(stops()).toEqual([`/api/v1/messages/${stopped.id}/stop`]);
    expect(result.current.state.messages.at(-1)).toMatchObject({ id: next.id, status: "complete", content: "Once" });
  });
});

/** Timers that fire at once, recording each delay asked for (no test ever waits). */
function instantTimers() {
  const delays: number[] = [];
  return {
    delays,
    timers: {
      setTimeout: (fn: () => void, ms: number) => {
        delays.push(ms);
        queueMicrotask(fn);
        return delays.length;
      },
      clearTimeout: () => undefined,
    },
  };
}

/** A stream that sends `body` and then breaks like a dropped connection (no done/error). */
function cutResponse(body: string): Response {
  const bytes = new TextEncoder().encode(body);
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) controller.error(new TypeError("network error"));
      else controller.enqueue(bytes);
      sent = true;
    },
  });
  return new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" } });
}

const conversationBody = (items: unknown[]) => ({
  id: CID,
  title: "t",
  system_prompt: "",
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
  messages: { items, next_cursor: null },
});

describe("useChat: a connection cut mid-answer", () => {
  const user = message({ role: "user", content: "tell me" });
  const reply = message({ role: "assistant", parent_id: user.id, status: "streaming" });
  const final = { ...reply, content: "Hello world", status: "complete" as const };
  const accepted = sse([
    ["message", { conversation_id: CID, conversation_title: "tell me", user_message: user, assistant_message: reply, max_cost_usd: "0.001" }],
    ["delta", { text: "Hello" }],
  ]);
  const replay = sse([
    ["message", { conversation_id: CID, assistant_message: { ...reply, content: "" } }],
    ["delta", { text: "Hello world" }],
    ["done", { status: "complete", final }],
  ]);

  it("re-attaches with backoff and finishes, never sending the message again", async () => {
    let attaches = 0;
    const calls = stubFetch({
      [`POST /api/v1/conversations/${CID}/messages`]: () => cutResponse(accepted),
      [`GET /api/v1/messages/${reply.id}/stream`]: () => {
        attaches += 1;
        if (attaches === 1) throw new TypeError("Failed to fetch");
        return streamResponse(replay, 3);
      },
    });
    const { delays, timers } = instantTimers();
    const { result } = renderHook(() => useChat(null, {}, { timers, delaysMs: [500, 1000, 2000] }));
    let failure: unknown = "unset";
    await act(async () => {
      failure = await result.current.send(CID, "tell me", null);
    });
    expect(failure).toBeNull(); // accepted: the caller must not put the text back
    expect(calls.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(attaches).toBe(2);
    expect(delays).toEqual([500, 1000]);
    expect(result.current.state.messages.at(-1)).toMatchObject({ content: "Hello world", status: "complete" });
    expect(result.current.state).toMatchObject({ busy: false, streamingId: null, connection: { state: "ok" } });
  });

  it("a re-attach that succeeds on the last attempt is not reported lost", async () => {
    let attaches = 0;
    stubFetch({
      [`POST /api/v1/conversations/${CID}/messages`]: () => cutResponse(accepted),
      [`GET /api/v1/messages/${reply.id}/stream`]: () => {
        attaches += 1;
        if (attaches < 2) throw new TypeError("Failed to fetch");
        return streamResponse(replay, 2);
      },
    });
    const { timers } = instantTimers();
    const { result } = renderHook(() => useChat(null, {}, { timers, delaysMs: [1, 2] }));
    await act(async () => {
      await result.current.send(CID, "tell me", null);
    });
    expect(attaches).toBe(2);
    expect(result.current.state.connection).toEqual({ state: "ok" });
    expect(result.current.state.messages.at(-1)?.status).toBe("complete");
  });

  it("a stream cut after every replay gives up at a hard cap", async () => {
    let attaches = 0;
    stubFetch({
      [`POST /api/v1/conversations/${CID}/messages`]: () => cutResponse(accepted),
      [`GET /api/v1/messages/${reply.id}/stream`]: () => {
        attaches += 1;
        return cutResponse(sse([["message", { conversation_id: CID, assistant_message: reply }], ["delta", { text: "Hel" }]]));
      },
    });
    const { timers } = instantTimers();
    const { result } = renderHook(() => useChat(null, {}, { timers, delaysMs: [1, 2] }));
    await act(async () => {
      await result.current.send(CID, "tell me", null);
    });
    expect(attaches).toBe(20);
    expect(result.current.state.connection).toEqual({ state: "lost", messageId: reply.id });
  });

  it("gives up after the last attempt (lost, not streaming), and Retry re-attaches", async () => {
    let online = false;
    stubFetch({
      [`POST /api/v1/conversations/${CID}/messages`]: () => cutResponse(accepted),
      [`GET /api/v1/messages/${reply.id}/stream`]: () => {
        if (!online) throw new TypeError("Failed to fetch");
        return streamResponse(replay, 2);
      },
    });
    const { delays, timers } = instantTimers();
    const { result } = renderHook(() => useChat(null, {}, { timers, delaysMs: [1, 2, 3] }));
    await act(async () => {
      await result.current.send(CID, "tell me", null);
    });
    expect(delays).toEqual([1, 2, 3]);
    expect(result.current.state.connection).toEqual({ state: "lost", messageId: reply.id });
    expect(result.current.state).toMatchObject({ busy: false, streamingId: null });
    expect(result.current.state.messages.at(-1)?.content).toBe("Hello"); // what was seen is kept
    online = true;
    await act(async () => {
      await result.current.retry();
    });
    expect(result.current.state.messages.at(-1)).toMatchObject({ content: "Hello world", status: "complete" });
    expect(result.current.state.connection).toEqual({ state: "ok" });
  });

  it("cut before any answer: the server saved it, so it is followed, not resent", async () => {
    const calls = stubFetch({
      [`POST /api/v1/conversations/${CID}/messages`]: () => {
        throw new TypeError("Failed to fetch");
      },
      [`GET /api/v1/conversations/${CID}`]: () => jsonResponse(200, conversationBody([user, { ...reply, content: "Hel" }])),
      [`GET /api/v1/messages/${reply.id}/stream`]: () => streamResponse(replay, 2),
    });
    const { timers } = instantTimers();
    const { result } = renderHook(() => useChat(null, {}, { timers, delaysMs: [1, 1] }));
    let failure: unknown = "unset";
    await act(async () => {
      failure = await result.current.send(CID, "tell me", null);
    });
    expect(failure).toBeNull();
    expect(calls.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(result.current.state.messages.map((m) => m.content)).toEqual(["tell me", "Hello world"]);
    expect(result.current.state.busy).toBe(false);
  });

  it("cut before any answer and the server has nothing: the send failed (the text is kept)", async () => {
    stubFetch({
      [`POST /api/v1/conversations/${CID}/messages`]: () => {
        throw new TypeError("Failed to fetch");
      },
      [`GET /api/v1/conversations/${CID}`]: () => jsonResponse(200, conversationBody([])),
    });
    const { timers } = instantTimers();
    const { result } = renderHook(() => useChat(null, {}, { timers, delaysMs: [1, 1] }));
    let failure: { kind?: string } | null = null;
    await act(async () => {
      failure = (await result.current.send(CID, "tell me", null)) as { kind?: string } | null;
    });
    expect(failure).toMatchObject({ kind: "network" });
    expect(result.current.state).toMatchObject({ busy: false, pending: null });
  });

  it("reload() offline resolves instead of throwing 'Failed to fetch'", async () => {
    stubFetch({
      [`GET /api/v1/conversations/${CID}`]: () => {
        throw new TypeError("Failed to fetch");
      },
    });
    const { result } = renderHook(() => useChat(null));
    act(() => result.current.adopt(conversationBody([]) as never));
    await expect(result.current.reload()).resolves.toBe(false);
  });
});
