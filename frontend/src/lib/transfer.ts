/**
 * Export, import and share links: the URLs and the pure parts, kept apart from the components so
 * they can be tested without a browser.
 *
 * Downloads are plain links (`<a href download>`), not `fetch` + Blob: the browser streams the
 * file to disk as the server streams it, so exporting a large account never holds it in memory.
 */

export type ExportFormat = "json" | "markdown";

/** One conversation's export, or (no id) every conversation of the account. */
export function exportUrl(conversationId: string | null, format: ExportFormat): string {
  const query = `?format=${format}`;
  return conversationId
    ? `/api/v1/conversations/${encodeURIComponent(conversationId)}/export${query}`
    : `/api/v1/exports${query}`;
}

/**
 * The public link of a share. The token is in the fragment (`#…`): browsers never send it to a
 * server, so it is not in access logs or Referer headers, and the static page stays one file.
 */
export function shareUrl(token: string, origin: string = window.location.origin): string {
  return `${origin}/share/#${token}`;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The token of `location.hash` ("#abc…" or "#token=abc…"), or null when it cannot be one. */
export function tokenFromHash(hash: string): string | null {
  const raw = hash.replace(/^#/, "").replace(/^token=/, "").trim();
  return TOKEN.test(raw) ? raw : null;
}

/** "Imported 3 conversations (12 messages) from ChatGPT." */
export function importSummary(result: { format: "lockgate" | "chatgpt"; conversations: number; messages: number }): string {
  const source = result.format === "chatgpt" ? "ChatGPT" : "a Lockgate export";
  const conversations = `${result.conversations} conversation${result.conversations === 1 ? "" : "s"}`;
  const messages = `${result.messages} message${result.messages === 1 ? "" : "s"}`;
  return `Imported ${conversations} (${messages}) from ${source}.`;
}
