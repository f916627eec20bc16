"use client";

import type { ChatFallback } from "@/api/chatEvents";
import type { Message, Model } from "@/api/types";
import { formatCost, formatMs, formatTokens, humanizeText } from "@/lib/format";
import type { Turn } from "@/lib/chatState";
import { CopyButton } from "../CopyButton";
import { type Citations, Markdown } from "../Markdown";
import { BranchSwitcher } from "./BranchSwitcher";

function UserBubble({ content, pending = false }: { content: string; pending?: boolean }) {
  return (
    <div className="flex justify-end">
      <div
        className={`max-w-[85%] whitespace-pre-wrap break-words rounded-2xl bg-accent-soft px-4 py-2 ${pending ? "opacity-80" : ""}`}
        data-testid="user-message"
      >
        {/* Plain text: nothing the user typed is ever interpreted as HTML or markdown. */}
        {content}
      </div>
    </div>
  );
}

const STATUS_LABEL: Partial<Record<Message["status"], string>> = {
  cancelled: "Stopped",
  incomplete: "Incomplete",
  error: "Failed",
};

function StatusNote({ message }: { message: Message }) {
  const label = STATUS_LABEL[message.status];
  if (!label) return null;
  const tone = message.status === "cancelled" ? "text-muted" : "text-danger";
  return (
    <p className={`mt-2 text-sm ${tone}`} data-testid="message-status">
      <strong>{label}.</strong>{" "}
      {message.status === "cancelled"
        ? "You stopped this answer; the text so far is kept."
        : message.error_message
          ? humanizeText(message.error_message)
          : "The answer could not be finished."}
      {message.error_code ? <span className="ml-1 font-mono text-xs">({message.error_code})</span> : null}
    </p>
  );
}

/** Said live, as soon as the stream's `fallback` event arrives (the badge below needs the reply's end). */
function FallbackNote({ fallback }: { fallback: ChatFallback }) {
  return (
    <p className="mt-2 text-xs text-muted" role="note" data-testid="message-fallback">
      <span className="rounded bg-warn-soft px-1.5 py-0.5 font-medium text-warn">fallback</span> answered by{" "}
      <span className="font-medium text-fg">
        {fallback.to_provider}/{fallback.to_model}
      </span>{" "}
      because{" "}
      <span className="font-medium text-fg">
        {fallback.from_provider}/{fallback.from_model}
      </span>{" "}
      was unavailable <span className="font-mono">({fallback.reason})</span>
    </p>
  );
}

function Meta({ message, model, fallback }: { message: Message; model: Model | null; fallback: ChatFallback | null }) {
  // The stream's fallback event says who was unavailable. (The row stores the model that
  // answered, so after a reload this comparison rarely tells: the stream is the source.)
  const unavailable = fallback
    ? `${fallback.from_provider}/${fallback.from_model}`
    : model && message.provider && model.provider !== message.provider
      ? model.provider
      : null;
  const parts: string[] = [];
  if (message.input_tokens !== null || message.output_tokens !== null) {
    parts.push(`${formatTokens(message.input_tokens)} in · ${formatTokens(message.output_tokens)} out tokens`);
  }
  if (message.cost_usd !== null) parts.push(formatCost(message.cost_usd));
  if (message.latency_ms !== null) parts.push(formatMs(message.latency_ms));
  return (
    <div className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-muted" data-testid="message-meta">
      {message.model ? <span>{message.model}</span> : null}
      {message.provider ? (
        <span data-testid="message-provider">
          via <span className="font-medium text-fg">{message.provider}</span>
          {unavailable ? (
            <span className="ml-1 rounded bg-warn-soft px-1.5 py-0.5 font-medium text-warn" title={`${unavailable} was unavailable`}>
              fallback
            </span>
          ) : null}
        </span>
      ) : null}
      {message.cached ? (
        <span className="rounded bg-accent-soft px-1.5 py-0.5 font-medium text-fg" data-testid="message-cached" title="Answered from the response cache: no provider was paid for it">
          cached
        </span>
      ) : null}
      {parts.length ? <span data-testid="message-usage">{parts.join(" · ")}</span> : null}
    </div>
  );
}

export function AssistantMessage({
  turn,
  streaming,
  connection = null,
  fallback = null,
  model,
  canRegenerate,
  onRegenerate,
  onSwitch,
  citations = null,
}: {
  turn: Turn;
  streaming: boolean;
  /** The link to this reply, when it is not fine: no caret once it is lost. */
  connection?: "reconnecting" | "lost" | null;
  /** This reply's stream announced a fallback candidate. */
  fallback?: ChatFallback | null;
  model: Model | null;
  /** Nothing else is being written: this answer can be regenerated and branches switched. */
  canRegenerate: boolean;
  onRegenerate: (id: string) => void;
  onSwitch: (messageId: string) => void;
  /** The sources this answer was given (documents in the conversation): `[n]` opens one. */
  citations?: Citations | null;
}) {
  const message = turn.shown;
  if (!message) return null;
  const live = (streaming || message.status === "streaming") && connection !== "lost";
  return (
    <article className="group" aria-label="Answer" data-testid="assistant-message" data-status={message.status} data-message-id={message.id}>
      <div aria-live={live ? "polite" : undefined} aria-busy={live}>
        {message.content ? (
          <Markdown text={message.content} className={live ? "caret" : ""} citations={citations} />
        ) : live ? (
          <p className="text-muted" role="status">
            Thinking…
          </p>
        ) : null}
      </div>
      {fallback ? <FallbackNote fallback={fallback} /> : null}
      <StatusNote message={message} />
      {connection === "lost" && message.status === "streaming" ? (
        <p className="mt-2 text-sm text-muted" data-testid="message-status">
          <strong>Not following.</strong> The connection was lost while this answer was being written.
        </p>
      ) : null}
      {!live ? <Meta message={message} model={model} fallback={fallback} /> : null}
      <div className="mt-1 flex flex-wrap items-center gap-1 text-xs">
        <BranchSwitcher message={message} kind="answer" disabled={!canRegenerate} onSwitch={onSwitch} />
        {!live && message.content ? <CopyButton getText={() => message.content} label="Copy answer" /> : null}
        {!live && canRegenerate && message.parent_id ? (
          <button
            type="button"
            onClick={() => onRegenerate(message.id)}
            className="rounded px-2 py-0.5 text-muted hover:bg-surface-2 hover:text-fg"
          >
            Regenerate
          </button>
        ) : null}
      </div>
    </article>
  );
}

export { UserBubble };
