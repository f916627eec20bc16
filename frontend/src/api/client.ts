import createClient, { type Client, type Middleware } from "openapi-fetch";
import { CSRF_COOKIE, CSRF_HEADER, readCookie } from "./cookies";
import { isSessionError } from "./errors";
import { redirectToLogin } from "./navigation";
import type { paths } from "./schema";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Adds the CSRF header (double-submit: the readable `lockgate_csrf` cookie) to unsafe methods. */
export function csrfMiddleware(getCookie: () => string | null = () => readCookie(CSRF_COOKIE)): Middleware {
  return {
    onRequest({ request }) {
      if (SAFE_METHODS.has(request.method.toUpperCase())) return undefined;
      const token = getCookie();
      if (token) request.headers.set(CSRF_HEADER, token);
      return request;
    },
  };
}

/** A 401 meaning "no valid session" (not "wrong password") sends the user to sign in and back. */
export function unauthorizedMiddleware(onUnauthorized: () => void = redirectToLogin): Middleware {
  return {
    async onResponse({ response }) {
      if (response.status !== 401) return undefined;
      let code = "";
      try {
        const body: unknown = await response.clone().json();
        const error = (body as { error?: { code?: unknown } }).error;
        code = typeof error?.code === "string" ? error.code : "";
      } catch {
        code = "not_authenticated";
      }
      if (isSessionError(401, code)) onUnauthorized();
      return undefined;
    },
  };
}

export interface ApiOptions {
  baseUrl?: string;
  fetch?: (input: Request) => Promise<Response>;
  getCsrf?: () => string | null;
  onUnauthorized?: () => void;
}

export type Api = Client<paths>;

export function createApi(options: ApiOptions = {}): Api {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? "",
    credentials: "same-origin",
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use(csrfMiddleware(options.getCsrf));
  client.use(unauthorizedMiddleware(options.onUnauthorized));
  return client;
}

let shared: Api | null = null;

/** The app's client (created lazily: `fetch` and `document` exist only in the browser). */
export function api(): Api {
  shared ??= createApi({
    baseUrl: window.location.origin,
    // Looked up per call, so tests can stub the global fetch.
    fetch: (request) => globalThis.fetch(request),
  });
  return shared;
}
