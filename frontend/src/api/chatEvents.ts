/** The chat stream's events (README "Chat events"), validated just enough to be used safely. */
import type { Message } from "./types";
import type { SSEEvent } from "./sse";

export type ChatEvent =
  | {
      type: "message";
      conversationId: string;
      conversationTitle: string | null;
      userMessage: Message | null;
      assistantMessage: Message;
      maxCostUsd: string | null;
    }
  | { type: "delta"; text: string }
  | {
      type: "usage";
      inputTokens: number | null;
      outputTokens: number | null;
      costUsd: string | null;
      firstTokenMs: number | null;
      latencyMs: number | null;
    }
  | { type: "done"; status: string; final: Message | null }
  | { type: "error"; code: string; message: string; status: string; final: Message | null };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : typeof v === "number" ? String(v) : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const message = (v: unknown): Message | null =>
  isObject(v) && typeof v.id === "string" && typeof v.role === "string" ? (v as unknown as Message) : null;

/** One parsed event, or null for unknown events and malformed data (ignored, never thrown). */
export function parseChatEvent(event: SSEEvent): ChatEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return null;
  }
  if (!isObject(data)) return null;
  switch (event.event) {
    case "message": {
      const assistant = message(data.assistant_message);
      if (!assistant) return null;
      return {
        type: "message",
        conversationId: str(data.conversation_id) ?? assistant.conversation_id,
        conversationTitle: str(data.conversation_title),
        userMessage: message(data.user_message),
        assistantMessage: assistant,
        maxCostUsd: str(data.max_cost_usd),
      };
    }
    case "delta":
      return typeof data.text === "string" ? { type: "delta", text: data.text } : null;
    case "usage":
      return {
        type: "usage",
        inputTokens: num(data.input_tokens),
        outputTokens: num(data.output_tokens),
        costUsd: str(data.cost_usd),
        firstTokenMs: num(data.first_token_ms),
        latencyMs: num(data.latency_ms),
      };
    case "done":
      return { type: "done", status: str(data.status) ?? "complete", final: message(data.final) };
    case "error":
      return {
        type: "error",
        code: str(data.code) ?? "unknown",
        message: str(data.message) ?? "The reply failed.",
        status: str(data.status) ?? "error",
        final: message(data.final),
      };
    default:
      return null;
  }
}
