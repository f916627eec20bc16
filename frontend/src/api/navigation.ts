/**
 * Where the app may send the browser after signing in (or back from the sign-in page): only a
 * path on this origin, never another site (an open redirect would make a phishing page look
 * like Lockgate's own). Every `next`/redirect the app reads goes through {@link safeNext}.
 */

/** The pages of the static export; a `next` outside them falls back (no 404 after sign-in). */
const ROUTES = new Set(["/", "/images/", "/usage/", "/providers/", "/settings/"]);
const SIGNED_OUT = new Set(["/login/", "/register/"]);

function currentOrigin(): string {
  return typeof window === "undefined" ? "http://localhost" : window.location.origin;
}

/**
 * `next` as a same-origin path + query + hash, or `fallback`.
 *
 * The browser's own URL parser decides (`new URL(next, origin)`), so every trick it would follow
 * is refused with it: `//evil`, `/\evil`, `https:evil`, tab/CR/LF inside the scheme-relative
 * prefix (`/%09/evil` → `//evil`), `javascript:`. Control characters and backslashes are refused
 * outright, since browsers strip or rewrite them before navigating.
 */
export function safeNext(next: string | null | undefined, fallback = "/", origin: string = currentOrigin()): string {
  if (!next || !next.startsWith("/")) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== new URL(origin).origin) return fallback;
  const path = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  if (SIGNED_OUT.has(path) || !ROUTES.has(path)) return fallback;
  return `${path}${url.search}${url.hash}`;
}

/** The sign-in page, remembering where we were. */
export function loginUrl(current: string): string {
  const next = safeNext(current, "");
  return next ? `/login/?next=${encodeURIComponent(next)}` : "/login/";
}

export function currentPath(): string {
  return window.location.pathname + window.location.search;
}

/** The `next` of the current address, checked (the one reader of it). */
export function nextFromLocation(): string {
  return safeNext(new URLSearchParams(window.location.search).get("next"));
}

/** A full navigation (drops client state that belonged to the old session). */
export function redirectToLogin(): void {
  const target = loginUrl(currentPath());
  if (!window.location.pathname.startsWith("/login")) window.location.assign(target);
}
