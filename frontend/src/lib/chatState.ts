/**
 * The message list of one conversation as a pure reducer: loaded pages, an optimistic user
 * message, and the events of one live stream (send, edit, regenerate or re-attach).
 *
 * `messages` is the conversation's current branch, oldest first: the server's path from the
 * branch's last message up to the first. Editing a message or regenerating an answer forks
 * there (`fork`: the view is cut at that message until the new one arrives, and put back if the
 * server refuses); switching branch replaces the list with the server's new branch
 * (`switched`). Each message carries `sibling_ids` (itself included) for the ‹ n/m › switcher.
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
  /** The branch as it was before a `fork`, put back if the server refuses the edit/regenerate. */
  restore: Message[] | null;
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
  /** Edit (with `content`: the new version, shown pending) or regenerate at message `at`. */
  | { type: "fork"; at: string; content?: string; now?: string }
  | { type: "switched"; messages: Message[]; olderCursor: string | null }
  | { type: "attach" }
  | { type: "event"; event: ChatEvent }
  | { type: "failed"; error: AppError }
  | { type: "reconnecting"; attempt: number; messageId: string | null }
  | { type: "lost"; messageId: string | null }
  | { type: "settled" }
  | { type: "dismiss" };

export const initialChat: ChatState = {
  messages: [],
  olderCursor: null,
  streamingId: null,
  busy: false,
  pending: null,
  error: null,
  restore: null,
  maxCostUsd: null,
  connection: { state: "ok" },
  fallbacks: {},
};

/** A message's new state; sibling ids only some payloads carry (a stream's final row has none) are kept. */
function merged(old: Message | undefined, message: Message): Message {
  if (!old || (message.sibling_ids && message.sibling_ids.length > 0)) return message;
  return { ...message, sibling_ids: old.sibling_ids ?? [] };
}

function upsert(messages: Message[], message: Message): Message[] {
  const index = messages.findIndex((m) => m.id === message.id);
  const next = index < 0 ? [...messages, message] : messages.map((m, i) => (i === index ? merged(m, message) : m));
  return next.sort((a, b) => a.seq - b.seq);
}

/** The branch up to (not including) message `at`: what stays shown while it is forked. */
function cutAt(messages: Message[], at: string): Message[] {
  const index = messages.findIndex((m) => m.id === at);
  return index < 0 ? messages : messages.slice(0, index);
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
      return {
        ...state,
        messages,
        restore: null, // the server took it: the fork is real
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
      // Before any reply row exists, the failure belongs to the request: show it as a banner
      // (and a refused edit or regenerate puts the branch back as it was).
      const error = state.streamingId ? state.error : fromStreamError(data);
      const shown = !state.streamingId && !data.final && state.restore ? state.restore : messages;
      return { ...state, messages: shown, streamingId: null, busy: false, error, pending: null, restore: null, connection: { state: "ok" } };
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
      return { ...state, messages: [...action.messages].sort((a, b) => a.seq - b.seq), olderCursor: action.olderCursor, restore: null };
    case "older": {
      const known = new Set(state.messages.map((m) => m.id));
      const older = action.messages.filter((m) => !known.has(m.id));
      return { ...state, messages: [...older, ...state.messages].sort((a, b) => a.seq - b.seq), olderCursor: action.olderCursor };
    }
    case "send":
      return { ...state, busy: true, error: null, pending: { content: action.content, createdAt: action.now }, connection: { state: "ok" } };
    case "attach":
      // A re-attach while reconnecting stays "reconnecting" until the stream answers.
      return { ...state, busy: true, error: null };
    case "event":
      return onEvent(state, action.event);
    case "failed":
      return {
        ...state,
        messages: state.restore ?? state.messages, // a refused edit/regenerate: the branch as it was
        restore: null,
        busy: false,
        streamingId: null,
        pending: null,
        error: action.error,
        connection: { state: "ok" },
      };
    case "fork": {
      const pending = action.content === undefined ? null : { content: action.content, createdAt: action.now ?? "" };
      return {
        ...state,
        messages: cutAt(state.messages, action.at),
        restore: state.restore ?? state.messages,
        busy: true,
        error: null,
        pending,
        connection: { state: "ok" },
      };
    }
    case "switched":
      return { ...state, messages: [...action.messages].sort((a, b) => a.seq - b.seq), olderCursor: action.olderCursor, error: null, fallbacks: {} };
    case "reconnecting":
      // Cut off mid-answer: the reply keeps running server-side and keeps its text here; the
      // hook re-attaches. Still busy, so nothing new is sent meanwhile.
      return { ...state, busy: true, connection: { state: "reconnecting", attempt: action.attempt, messageId: action.messageId } };
    case "settled":
      // Nothing left to follow (what the server saved is already final).
      return { ...state, busy: false, streamingId: null, pending: null, restore: null, connection: { state: "ok" } };
    case "lost":
      return { ...state, busy: false, streamingId: null, pending: null, connection: { state: "lost", messageId: action.messageId } };
    case "dismiss":
      return { ...state, error: null };
  }
}

export interface Turn {
  user: Message | null;
  /** The answer to `user` on this branch (none yet, or its question is on an older page). */
  shown: Message | null;
}

/** The branch as turns: each user message with the answer that follows it. */
export function toTurns(messages: Message[]): Turn[] {
  const turns: Turn[] = [];
  for (const m of messages) {
    const last = turns[turns.length - 1];
    if (m.role === "user") turns.push({ user: m, shown: null });
    else if (m.role === "assistant") {
      if (last && last.user && !last.shown && m.parent_id === last.user.id) last.shown = m;
      else turns.push({ user: null, shown: m });
    }
  }
  return turns;
}

/** Where a message sits among its siblings (edits of a user message, answers to it). */
export interface Siblings {
  ids: string[];
  index: number;
}

export function siblingsOf(message: Message): Siblings {
  const ids = message.sibling_ids && message.sibling_ids.length > 0 ? message.sibling_ids : [message.id];
  return { ids, index: Math.max(0, ids.indexOf(message.id)) };
}

/** The reply to re-attach to after a reload: the last assistant message still streaming. */
export function streamingReply(messages: Message[]): Message | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m && m.role === "assistant" && m.status === "streaming") return m;
  }
  return null;
}
