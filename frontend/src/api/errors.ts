/**
 * Every failure the UI shows, from an HTTP error body `{"error": {"code", "message"}}`, a
 * network failure, or an SSE `error` event, mapped to one shape with a kind the UI can style.
 */

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
  if (status === 401) return "auth";
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

/** From an HTTP response (status + headers) and its parsed JSON body, if any. */
export function fromResponse(response: Response, body: unknown): AppError {
  const detail = bodyDetail(body);
  const status = response.status;
  const code = detail?.code ?? `http_${status}`;
  return {
    kind: classify(status, code),
    status,
    code,
    message: detail?.message || response.statusText || `HTTP ${status}`,
    retryAfter: parseRetryAfter(response.headers.get("Retry-After")),
    resetsAt: response.headers.get("X-Budget-Resets-At"),
  };
}

/** From an SSE `error` event: the reply failed after the request was accepted. */
export function fromStreamError(data: { code: string; message: string }): AppError {
  return {
    kind: classify(200, data.code),
    status: 200,
    code: data.code,
    message: data.message,
    retryAfter: null,
    resetsAt: null,
  };
}

export function networkError(cause: unknown): AppError {
  return {
    kind: "network",
    status: 0,
    code: "network_error",
    message: cause instanceof Error && cause.message ? cause.message : "Lockgate could not be reached.",
    retryAfter: null,
    resetsAt: null,
  };
}

/** A short title for each kind, as shown in banners. */
export function errorTitle(error: AppError): string {
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
