/**
 * Every failure the UI shows, from an HTTP error body `{"error": {"code", "message"}}`, a
 * network failure, or an SSE `error` event, mapped to one shape with a kind the UI can style.
 *
 * The mapping goes by the stable `code` first and the status only when there is no code: a 401
 * is "not signed in" only for the session codes (a wrong current password is a 401 too), and a
 * 422's pydantic text ("content: String should have at most 100000 characters") becomes a
 * sentence. Amounts and times in a server's message are formatted for people.
 */
import { humanizeText } from "@/lib/format";

export type ErrorKind =
  | "rate_limited" // 429: too many requests, retry after N seconds
  | "budget" // 429 budget_exceeded: the budget is spent until it resets
  | "overloaded" // 503 overloaded: Lockgate sheds load
  | "provider" // the model provider failed or every candidate is unavailable
  | "auth" // signed out / session expired
  | "invalid" // 4xx about the input
  | "not_found"
  | "network" // no answer at all
  | "unknown";

export interface AppError {
  kind: ErrorKind;
  status: number;
  code: string;
  message: string;
  /** Seconds until a retry may succeed (from Retry-After), when known. */
  retryAfter: number | null;
  /** When a spent budget resets (X-Budget-Resets-At), when known. */
  resetsAt: string | null;
}

const SESSION_CODES = new Set(["not_authenticated", "session_expired", "session_revoked"]);

export function isSessionError(status: number, code: string): boolean {
  return status === 401 && SESSION_CODES.has(code);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.max(0, Math.ceil(Number(trimmed)));
  const when = Date.parse(trimmed);
  if (Number.isNaN(when)) return null;
  return Math.max(0, Math.ceil((when - now) / 1000));
}

export function classify(status: number, code: string): ErrorKind {
  if (code === "budget_exceeded" || code === "budget_unavailable") return "budget";
  if (code === "overloaded") return "overloaded";
  if (code.startsWith("provider_") || code === "no_headroom" || code === "not_live") {
    return "provider";
  }
  if (code === "rate_limited" || status === 429) return "rate_limited";
  if (code === "network_error") return "network";
  // Only a missing session is a sign-in problem; `invalid_credentials` is a wrong password.
  if (status === 401) return SESSION_CODES.has(code) || code === `http_401` ? "auth" : "invalid";
  if (status === 404) return "not_found";
  if (status === 502 || status === 504) return "provider";
  if (status === 503) return "overloaded";
  if (status === 0) return "network";
  if (status >= 400 && status < 500) return "invalid";
  return "unknown";
}

function bodyDetail(body: unknown): { code: string; message: string } | null {
  if (typeof body !== "object" || body === null || !("error" in body)) return null;
  const error = (body as { error: unknown }).error;
  if (typeof error !== "object" || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return {
    code: typeof code === "string" ? code : "unknown",
    message: typeof message === "string" ? message : "",
  };
}

const FIELD_LABELS: Record<string, string> = {
  content: "Your message",
  title: "The title",
  system_prompt: "The system prompt",
  prompt: "The prompt",
  email: "The email",
  password: "The password",
  current_password: "The current password",
  new_password: "The new password",
  invite_code: "The invite code",
  model: "The model",
  name: "The name",
  size: "The size",
  n: "The number of images",
};

const number = (n: string) => (/^\d+$/.test(n) ? new Intl.NumberFormat("en-US").format(Number(n)) : n);

/** One pydantic complaint about a field, as the end of a sentence. */
function complaint(msg: string): string {
  let m: RegExpExecArray | null;
  if ((m = /^String should have at most (\d+) characters?/.exec(msg))) return `is too long (at most ${number(m[1]!)} characters)`;
  if ((m = /^String should have at least (\d+) characters?/.exec(msg))) return m[1] === "1" ? "is empty" : `is too short (at least ${number(m[1]!)} characters)`;
  if ((m = /^(?:List|Value) should have at most (\d+) items?/.exec(msg))) return `has too many items (at most ${number(m[1]!)})`;
  if ((m = /^Input should be less than or equal to (\S+)/.exec(msg))) return `is too large (at most ${number(m[1]!)})`;
  if ((m = /^Input should be less than (\S+)/.exec(msg))) return `is too large (below ${number(m[1]!)})`;
  if ((m = /^Input should be greater than or equal to (\S+)/.exec(msg))) return `is too small (at least ${number(m[1]!)})`;
  if ((m = /^Input should be greater than (\S+)/.exec(msg))) return `is too small (above ${number(m[1]!)})`;
  if (/^Field required/.test(msg)) return "is missing";
  return "is not valid";
}

/**
 * A 422's detail ("content: String should have at most 100000 characters; title: Field required")
 * as sentences: "Your message is too long (at most 100,000 characters)."
 */
export function humanValidation(message: string): string {
  const parts = message.split("; ").filter(Boolean);
  if (parts.length === 0) return "Some of what you entered is not valid.";
  return parts
    .map((part) => {
      const colon = part.indexOf(": ");
      const where = colon < 0 ? "" : part.slice(0, colon);
      const what = colon < 0 ? part : part.slice(colon + 2);
      const field = where.split(".").filter((p) => !/^\d+$/.test(p)).pop() ?? "";
      const label = FIELD_LABELS[field] ?? (field ? `The ${field.replaceAll("_", " ")}` : "This");
      return `${label} ${complaint(what)}.`;
    })
    .join(" ");
}

/** A budget refusal's own "it resets at <ISO>" is dropped: the banner says it once, formatted. */
function withoutResetClause(message: string): string {
  return message
    .replace(/[;,]?\s*\bit resets at \d{4}-\d{2}-\d{2}T[^\s;]*?(?=\.?(?:\s|$))/gi, "")
    .replace(/\.\s*\./g, ".")
    .trim();
}

/** Codes whose server text is for developers: what a person is told instead. */
const CODE_MESSAGES: Record<string, string> = {
  csrf_failed: "The page's security check failed. Reload the page and try again.",
  malformed_json: "The request could not be read. Reload the page and try again.",
  payload_too_large: "This is too large to send.",
  network_error: "Lockgate could not be reached. Check your connection and try again.",
};

/** The sentence shown for an error: by code, else the server's own, formatted for people. */
export function humanMessage(code: string, serverMessage: string, resetsAt: string | null = null): string {
  const fixed = CODE_MESSAGES[code];
  if (fixed) return fixed;
  if (code === "validation_error") return humanValidation(serverMessage);
  const text = code === "budget_exceeded" && resetsAt ? withoutResetClause(serverMessage) : serverMessage;
  return humanizeText(text);
}

/** From an HTTP response (status + headers) and its parsed JSON body, if any. */
export function fromResponse(response: Response, body: unknown): AppError {
  const detail = bodyDetail(body);
  const status = response.status;
  const code = detail?.code ?? `http_${status}`;
  const resetsAt = response.headers.get("X-Budget-Resets-At");
  const raw = detail?.message || response.statusText || `HTTP ${status}`;
  return {
    kind: classify(status, code),
    status,
    code,
    message: humanMessage(code, raw, resetsAt),
    retryAfter: parseRetryAfter(response.headers.get("Retry-After")),
    resetsAt,
  };
}

/** From an SSE `error` event: the reply failed after the request was accepted. */
export function fromStreamError(data: { code: string; message: string }): AppError {
  return {
    kind: classify(200, data.code),
    status: 200,
    code: data.code,
    message: humanMessage(data.code, data.message),
    retryAfter: null,
    resetsAt: null,
  };
}

export function networkError(_cause?: unknown): AppError {
  // The browser's text ("Failed to fetch", "NetworkError when attempting...") means nothing to people.
  return {
    kind: "network",
    status: 0,
    code: "network_error",
    message: CODE_MESSAGES.network_error!,
    retryAfter: null,
    resetsAt: null,
  };
}

/** Titles for codes whose kind alone would mislead (a 401 that is not about the session). */
const CODE_TITLES: Record<string, string> = {
  invalid_credentials: "Not accepted",
  weak_password: "Password too weak",
  csrf_failed: "Please reload",
  validation_error: "Cannot send this",
  payload_too_large: "Too large",
  context_length_exceeded: "Conversation too long",
  email_taken: "Email in use",
  registration_closed: "Registration closed",
  invalid_invite: "Invite not valid",
};

/** A short title for each error, as shown in banners: by code, else by kind. */
export function errorTitle(error: AppError): string {
  const byCode = CODE_TITLES[error.code];
  if (byCode) return byCode;
  switch (error.kind) {
    case "rate_limited":
      return "Rate limited";
    case "budget":
      return error.code === "budget_unavailable" ? "Budgets unavailable" : "Budget exhausted";
    case "overloaded":
      return "Lockgate is overloaded";
    case "provider":
      return "Provider unavailable";
    case "auth":
      return "Not signed in";
    case "invalid":
      return "Request refused";
    case "not_found":
      return "Not found";
    case "network":
      return "Connection problem";
    default:
      return "Something went wrong";
  }
}

export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (minutes < 60) return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}
