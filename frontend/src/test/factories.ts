import type { Message } from "@/api/types";

let seq = 0;

export function message(overrides: Partial<Message> = {}): Message {
  seq += 1;
  const now = new Date(Date.UTC(2025, 0, 1, 12, 0, seq)).toISOString();
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`,
    conversation_id: "11111111-1111-4111-8111-111111111111",
    parent_id: null,
    seq,
    role: "user",
    content: "",
    status: "complete",
    model: "sim-small",
    provider: "simulated",
    input_tokens: null,
    output_tokens: null,
    cost_usd: null,
    latency_ms: null,
    error_code: null,
    error_message: null,
    created_at: now,
    updated_at: now,
    finished_at: null,
    ...overrides,
  };
}

/** An SSE body as the server writes it. */
export function sse(events: [string, unknown][]): string {
  return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join("");
}

/** A streaming Response whose body arrives in the given pieces. */
export function streamResponse(body: string, pieces = 7, init: ResponseInit = {}): Response {
  const bytes = new TextEncoder().encode(body);
  const size = Math.max(1, Math.ceil(bytes.length / pieces));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
      controller.close();
    },
  });
  return new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" }, ...init });
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}
