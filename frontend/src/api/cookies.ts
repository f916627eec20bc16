/** The value of a readable cookie, or null. Only `lockgate_csrf` is ever read: the session is httpOnly. */
export function readCookie(name: string, cookies: string = document.cookie): string | null {
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return null;
}

export const CSRF_COOKIE = "lockgate_csrf";
export const CSRF_HEADER = "X-CSRF-Token";
