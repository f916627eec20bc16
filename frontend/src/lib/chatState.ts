/**
 * The message list of one conversation as a pure reducer: loaded pages, an optimistic user
 * message, and the events of one live stream (send, regenerate or re-attach).
 */
import type { ChatEvent, ChatFallback } from "@/api/chatEvents";
import { type AppError, fromStreamError } from "@/api/errors";
import type { Message } from "@/api/types";

export interface PendingUser {
  content: string;
  createdAt: string;
}

/**
 * The link to the live reply. `reconnecting`: the stream was cut after the server accepted the
 * message; the hook re-attaches (GET /messages/{id}/stream) with backoff. `lost`: it gave up;
 * the person can retry. The reply itself is never sent again.
 */
export type Connection =
  | { state: "ok" }
  | { state: "reconnecting"; attempt: number; messageId: string | null }
  | { state: "lost"; messageId: string | null };

export interface ChatState {
  messages: Message[];
  olderCursor: string | null;
  /** The assistant message receiving deltas. */
  streamingId: string | null;
  /** True from the request until the stream ends (covers the wait before the first event). */
  busy: boolean;
  pending: PendingUser | null;
  /** A refusal of the request itself (429, 503, ...), shown above the composer. */
  error: AppError | null;
  /** Which reply is shown for a user message that has several (regenerated) ones. */
  selected: Record<string, string>;
  maxCostUsd: string | null;
  connection: Connection;
  /**
   * Replies answered by a fallback candidate in this view, by assistant message id: who was
   * asked first, who answered and why (several fallbacks in a row keep the first `from_*`).
   */
  fallbacks: Record<string, ChatFallback>;
}

export type ChatAction =
  | { type: "reset" }
  | { type: "loaded"; messages: Message[]; olderCursor: string | null }
  | { type: "older"; messages: Message[]; olderCursor: string | null }
  | { type: "synced"; messages: Message[]; olderCursor: string | null }
  | { type: "send"; content: string; now: string }
  | { type: "regenerate" }
  | { type: "attach" }
  | { type: "event"; event: ChatEvent }
  | { type: "failed"; error: AppError }
  | { type: "reconnecting"; attempt: number; messageId: string | null }
  | { type: "lost"; messageId: string | null }
  | { type: "settled" }
  | { type: "select"; parentId: string; messageId: string }
  | { type: "dismiss" };

export const initialChat: ChatState = {
  messages: [],
  olderCursor: null,
  streamingId: null,
  busy: false,
  pending: null,
  error: null,
  selected: {},
  maxCostUsd: null,
  connection: { state: "ok" },
  fallbacks: {},
};

function upsert(messages: Message[], message: Message): Message[] {
  const index = messages.findIndex((m) => m.id === message.id);
  const next = index < 0 ? [...messages, message] : messages.map((m, i) => (i === index ? message : m));
  return next.sort((a, b) => a.seq - b.seq);
}

function patch(messages: Message[], id: string | null, change: (m: Message) => Message): Message[] {
  if (!id) return messages;
  return messages.map((m) => (m.id === id ? change(m) : m));
}

function onFallback(state: ChatState, fallback: ChatFallback): ChatState {
  const id = state.streamingId;
  if (!id) return state;
  const earlier = state.fallbacks[id];
  const merged = earlier ? { ...fallback, from_provider: earlier.from_provider, from_model: earlier.from_model } : fallback;
  return { ...state, fallbacks: { ...state.fallbacks, [id]: merged } };
}

function onEvent(state: ChatState, { event, data }: ChatEvent): ChatState {
  switch (event) {
    case "message": {
      let messages = state.messages;
      if (data.user_message) messages = upsert(messages, data.user_message);
      // Deltas replay the reply from its start (live and re-attached streams alike).
      const assistant = { ...data.assistant_message, content: "" };
      messages = upsert(messages, assistant);
      const selected = assistant.parent_id
        ? { ...state.selected, [assistant.parent_id]: assistant.id }
        : state.selected;
      return {
        ...state,
        messages,
        selected,
        pending: null,
        streamingId: assistant.id,
        maxCostUsd: data.max_cost_usd ?? state.maxCostUsd,
        connection: { state: "ok" },
      };
    }
    case "fallback":
      return onFallback(state, data);
    case "delta":
      return {
        ...state,
        messages: patch(state.messages, state.streamingId, (m) => ({ ...m, content: m.content + data.text })),
      };
    case "usage":
      return {
        ...state,
        messages: patch(state.messages, state.streamingId, (m) => ({
          ...m,
          input_tokens: data.input_tokens ?? m.input_tokens,
          output_tokens: data.output_tokens ?? m.output_tokens,
          cost_usd: data.cost_usd ?? m.cost_usd,
          latency_ms: data.latency_ms ?? m.latency_ms,
        })),
      };
    case "done": {
      const messages = data.final
        ? upsert(state.messages, data.final)
        : patch(state.messages, state.streamingId, (m) => ({ ...m, status: data.status }));
      return { ...state, messages, streamingId: null, busy: false, connection: { state: "ok" } };
    }
    case "error": {
      // An error ends the stream: a reply still marked `streaming` (the server says it is not
      // live any more) is shown as incomplete, never with a caret that waits forever.
      const ended = (status: string): Message["status"] => (status === "streaming" ? "incomplete" : (status as Message["status"]));
      const fallback = (m: Message): Message => ({
        ...m,
        status: ended(data.status),
        error_code: data.code,
        error_message: data.message,
      });
      const messages = data.final
        ? upsert(state.messages, {
            ...data.final,
            status: ended(data.final.status),
            error_code: data.final.error_code ?? data.code,
            error_message: data.final.error_message ?? data.message,
          })
        : patch(state.messages, state.streamingId, fallback);
      // Before any reply row exists, the failure belongs to the request: show it as a banner.
      const error = state.streamingId ? state.error : fromStreamError(data);
      return { ...state, messages, streamingId: null, busy: false, error, pending: null, connection: { state: "ok" } };
    }
  }
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "reset":
      return initialChat;
    case "loaded":
      return { ...initialChat, messages: [...action.messages].sort((a, b) => a.seq - b.seq), olderCursor: action.olderCursor };
    case "synced":
      return { ...state, messages: [...action.messages].sort((a, b) => a.seq - b.seq), olderCursor: action.olderCursor };
    case "older": {
      const known = new Set(state.messages.map((m) => m.id));
      const older = action.messages.filter((m) => !known.has(m.id));
      return { ...state, messages: [...older, ...state.messages].sort((a, b) => a.seq - b.seq), olderCursor: action.olderCursor };
    }
    case "send":
      return { ...state, busy: true, error: null, pending: { content: action.content, createdAt: action.now }, connection: { state: "ok" } };
    case "regenerate":
      return { ...state, busy: true, error: null, connection: { state: "ok" } };
    case "attach":
      // A re-attach while reconnecting stays "reconnecting" until the stream answers.
      return { ...state, busy: true, error: null };
    case "event":
      return onEvent(state, action.event);
    case "failed":
      return { ...state, busy: false, streamingId: null, pending: null, error: action.error, connection: { state: "ok" } };
    case "reconnecting":
      // Cut off mid-answer: the reply keeps running server-side and keeps its text here; the
      // hook re-attaches. Still busy, so nothing new is sent meanwhile.
      return { ...state, busy: true, connection: { state: "reconnecting", attempt: action.attempt, messageId: action.messageId } };
    case "settled":
      // Nothing left to follow (what the server saved is already final).
      return { ...state, busy: false, streamingId: null, pending: null, connection: { state: "ok" } };
    case "lost":
      return { ...state, busy: false, streamingId: null, pending: null, connection: { state: "lost", messageId: action.messageId } };
    case "select":
      return { ...state, selected: { ...state.selected, [action.parentId]: action.messageId } };
    case "dismiss":
      return { ...state, error: null };
  }
}

export interface Turn {
  user: Message | null;
  replies: Message[];
  shown: Message | null;
}

/** Messages as turns: each user message with its replies (siblings), showing the selected or newest. */
export function toTurns(messages: Message[], selected: Record<string, string>): Turn[] {
  const replies = new Map<string, Message[]>();
  for (const m of messages) {
    if (m.role === "assistant" && m.parent_id) {
      const list = replies.get(m.parent_id) ?? [];
      list.push(m);
      replies.set(m.parent_id, list);
    }
  }
  const turns: Turn[] = [];
  for (const m of messages) {
    if (m.role === "user") {
      const list = replies.get(m.id) ?? [];
      const chosen = selected[m.id];
      const shown = list.find((r) => r.id === chosen) ?? list[list.length - 1] ?? null;
      turns.push({ user: m, replies: list, shown });
    } else if (m.role === "assistant" && (!m.parent_id || !messages.some((u) => u.id === m.parent_id))) {
      turns.push({ user: null, replies: [m], shown: m });
    }
  }
  return turns;
}

/** The reply to re-attach to after a reload: the last assistant message still streaming. */
export function streamingReply(messages: Message[]): Message | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m && m.role === "assistant" && m.status === "streaming") return m;
  }
  return null;
}
