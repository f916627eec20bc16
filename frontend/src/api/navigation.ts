/** Where to go after signing in: only a same-origin path, never another site (open redirect). */
export function safeNext(next: string | null | undefined, fallback = "/"): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return fallback;
  }
  if (next.startsWith("/login") || next.startsWith("/register")) return fallback;
  return next;
}

/** The sign-in page, remembering where we were. */
export function loginUrl(current: string): string {
  const next = safeNext(current, "");
  return next ? `/login/?next=${encodeURIComponent(next)}` : "/login/";
}

export function currentPath(): string {
  return window.location.pathname + window.location.search;
}

/** A full navigation (drops client state that belonged to the old session). */
export function redirectToLogin(): void {
  const target = loginUrl(currentPath());
  if (!window.location.pathname.startsWith("/login")) window.location.assign(target);
}
