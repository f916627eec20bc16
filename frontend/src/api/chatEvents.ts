/**
 * The chat stream's events, typed by the generated client: the server's pydantic models
 * (`lockgate.chat.events`), published in OpenAPI as the `text/event-stream` schema of
 * sendMessage/regenerateMessage/streamMessage. A stream is input like any other, so the JSON is
 * still checked at run time — one reader per event name, and the compiler refuses a reader
 * that is missing or returns something the schema does not describe.
 */
import type { components, operations } from "./schema";
import type { Message, MessageStatus } from "./types";
import type { SSEEvent } from "./sse";

type S = components["schemas"];
/** One event of a chat stream: `{ event: name, data }`, a union discriminated by `event`. */
export type ChatEvent = operations["sendMessage"]["responses"][200]["content"]["text/event-stream"];
export type ChatEventName = ChatEvent["event"];
export type ChatEventData<N extends ChatEventName> = Extract<ChatEvent, { event: N }>["data"];
export type ChatFallback = S["ChatFallbackData"];

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : typeof v === "number" ? String(v) : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === "boolean" ? v : null);
const message = (v: unknown): Message | null =>
  isObject(v) && typeof v.id === "string" && typeof v.role === "string" ? (v as unknown as Message) : null;

const STATUSES: Record<MessageStatus, true> = { complete: true, streaming: true, incomplete: true, error: true, cancelled: true };
const status = (v: unknown, otherwise: MessageStatus): MessageStatus =>
  typeof v === "string" && Object.hasOwn(STATUSES, v) ? (v as MessageStatus) : otherwise;

/** Per event name, its data from the decoded JSON, or null when it cannot be used. */
const READERS: { [N in ChatEventName]: (data: Json) => ChatEventData<N> | null } = {
  message: (d) => {
    const assistant = message(d.assistant_message);
    if (!assistant) return null;
    return {
      conversation_id: str(d.conversation_id) ?? assistant.conversation_id,
      conversation_title: str(d.conversation_title),
      user_message: message(d.user_message),
      assistant_message: assistant,
      max_cost_usd: str(d.max_cost_usd),
    };
  },
  fallback: (d) => {
    const [fromProvider, fromModel, toProvider, toModel] = [d.from_provider, d.from_model, d.to_provider, d.to_model].map(str);
    if (!fromProvider || !fromModel || !toProvider || !toModel) return null;
    return { from_provider: fromProvider, from_model: fromModel, to_provider: toProvider, to_model: toModel, reason: str(d.reason) ?? "unknown" };
  },
  delta: (d) => (typeof d.text === "string" ? { text: d.text } : null),
  usage: (d) => ({
    input_tokens: num(d.input_tokens),
    output_tokens: num(d.output_tokens),
    cost_usd: str(d.cost_usd),
    cost_exact: bool(d.cost_exact),
    first_token_ms: num(d.first_token_ms),
    latency_ms: num(d.latency_ms),
    provider: str(d.provider),
    model: str(d.model),
    cached: bool(d.cached) ?? false,
    saved_usd: str(d.saved_usd),
  }),
  done: (d) => ({ status: status(d.status, "complete"), final: message(d.final) }),
  error: (d) => ({
    code: str(d.code) ?? "unknown",
    message: str(d.message) ?? "The reply failed.",
    status: status(d.status, "error"),
    final: message(d.final),
  }),
};

function read<N extends ChatEventName>(name: N, data: Json): ChatEvent | null {
  const parsed = READERS[name](data);
  // TypeScript cannot correlate `name` with its reader's result; READERS' type does.
  return parsed === null ? null : ({ event: name, data: parsed } as ChatEvent);
}

/** One parsed event, or null for unknown events and malformed data (ignored, never thrown). */
export function parseChatEvent(event: SSEEvent): ChatEvent | null {
  if (!Object.hasOwn(READERS, event.event)) return null;
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return null;
  }
  return isObject(data) ? read(event.event as ChatEventName, data) : null;
}
