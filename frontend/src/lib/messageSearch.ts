/**
 * The sidebar's message search as a pure reducer: the hits for the query being typed (by words
 * and by meaning, ranked by the server), their pages, and whether meaning was used. A page for an
 * older query is ignored (`generation`), so fast typing never shows stale hits.
 *
 * `snippetParts` cuts a hit's plain-text snippet at its highlight offsets, so the component draws
 * `<mark>` elements around the matched words without ever building HTML from a message.
 */
import type { components } from "@/api/schema";

export type MessageHit = components["schemas"]["MessageHit"];
export type SearchPage = components["schemas"]["SearchPage"];
export type Meaning = SearchPage["meaning"];

export interface SearchState {
  query: string;
  hits: MessageHit[];
  cursor: string | null;
  meaning: Meaning;
  loading: boolean;
  generation: number;
}

export type SearchAction =
  | { type: "cleared" }
  | { type: "fetching"; query: string; generation: number }
  | { type: "page"; generation: number; page: SearchPage; append: boolean }
  | { type: "failed"; generation: number };

export const initialSearch: SearchState = { query: "", hits: [], cursor: null, meaning: "used", loading: false, generation: 0 };

export function searchReducer(state: SearchState, action: SearchAction): SearchState {
  switch (action.type) {
    case "cleared":
      return { ...initialSearch, generation: state.generation + 1 };
    case "fetching":
      return { ...state, query: action.query, loading: true, generation: action.generation };
    case "page": {
      if (action.generation !== state.generation) return state;
      const seen = new Set(action.append ? state.hits.map((h) => h.message_id) : []);
      const fresh = action.page.items.filter((h) => !seen.has(h.message_id));
      return {
        ...state,
        hits: action.append ? [...state.hits, ...fresh] : action.page.items,
        cursor: action.page.next_cursor,
        meaning: action.page.meaning,
        loading: false,
      };
    }
    case "failed":
      return action.generation === state.generation ? { ...state, loading: false } : state;
  }
}

export interface SnippetPart {
  text: string;
  marked: boolean;
}

/** The snippet cut into plain and marked parts; offsets out of range or overlapping are clamped. */
export function snippetParts(snippet: string, highlights: { start: number; end: number }[]): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let at = 0;
  for (const { start, end } of [...highlights].sort((a, b) => a.start - b.start)) {
    const from = Math.max(at, Math.min(start, snippet.length));
    const to = Math.max(from, Math.min(end, snippet.length));
    if (to === from) continue;
    if (from > at) parts.push({ text: snippet.slice(at, from), marked: false });
    parts.push({ text: snippet.slice(from, to), marked: true });
    at = to;
  }
  if (at < snippet.length) parts.push({ text: snippet.slice(at), marked: false });
  return parts;
}

/** The chat URL that opens a hit: the conversation, scrolled to (and highlighting) the message. */
export function hitHref(hit: Pick<MessageHit, "conversation_id" | "message_id">): string {
  return `/?c=${encodeURIComponent(hit.conversation_id)}&m=${encodeURIComponent(hit.message_id)}`;
}
