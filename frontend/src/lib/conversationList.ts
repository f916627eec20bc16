/**
 * The sidebar's conversation list as a pure reducer: which view is shown (all chats, one
 * folder, the archive), the loaded pages, and local changes (pin, move, archive, rename, new
 * activity) applied in the server's order without a refetch — pinned first, then the most
 * recent activity, then id, exactly as `GET /api/v1/conversations` pages them.
 */
import type { Conversation } from "@/api/types";

export type View = { kind: "all" } | { kind: "folder"; id: string } | { kind: "archived" };

export const ALL: View = { kind: "all" };

export interface ListState {
  view: View;
  items: Conversation[];
  cursor: string | null;
  loading: boolean;
  /** Bumped on each new fetch; a page for an older one is ignored. */
  generation: number;
}

export type ListAction =
  | { type: "view"; view: View }
  | { type: "fetching"; generation: number }
  | { type: "page"; generation: number; items: Conversation[]; cursor: string | null; append: boolean }
  | { type: "failed"; generation: number }
  /** The server's copy after a change (rename, pin, move, archive, parameters). */
  | { type: "updated"; conversation: Conversation }
  | { type: "removed"; id: string }
  /** New activity (a message, a new conversation): it moves up, into the list if it belongs. */
  | { type: "touched"; conversation: Pick<Conversation, "id"> & Partial<Conversation>; now: string };

export const initialList: ListState = { view: ALL, items: [], cursor: null, loading: true, generation: 0 };

export function sameView(a: View, b: View): boolean {
  if (a.kind !== b.kind) return false;
  return a.kind !== "folder" || (b.kind === "folder" && a.id === b.id);
}

/** Whether a conversation is listed in a view (the server's filters, applied locally). */
export function belongs(conversation: Conversation, view: View): boolean {
  const archived = Boolean(conversation.archived_at);
  if (view.kind === "archived") return archived;
  if (archived) return false;
  return view.kind === "all" || conversation.folder_id === view.id;
}

/** The server's order: pinned first, then newest activity, then id (both descending). */
export function compare(a: Conversation, b: Conversation): number {
  const pinned = Number(Boolean(b.pinned)) - Number(Boolean(a.pinned));
  if (pinned !== 0) return pinned;
  if (a.updated_at !== b.updated_at) return a.updated_at < b.updated_at ? 1 : -1;
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}

/**
 * Put `conversation` where it goes, or take it out when it no longer belongs to the view. An
 * item that would sort after the last loaded one while more pages exist is left for those
 * pages, so "Load more" never shows it twice or out of order.
 */
function place(items: Conversation[], conversation: Conversation, view: View, more: boolean): Conversation[] {
  const rest = items.filter((c) => c.id !== conversation.id);
  if (!belongs(conversation, view)) return rest;
  const last = rest[rest.length - 1];
  if (more && last && compare(conversation, last) > 0) return rest;
  const at = rest.findIndex((c) => compare(conversation, c) < 0);
  return at < 0 ? [...rest, conversation] : [...rest.slice(0, at), conversation, ...rest.slice(at)];
}

export function listReducer(state: ListState, action: ListAction): ListState {
  switch (action.type) {
    case "view":
      if (sameView(state.view, action.view)) return state;
      return { ...state, view: action.view, items: [], cursor: null, loading: true };
    case "fetching":
      return { ...state, loading: true, generation: action.generation };
    case "page": {
      if (action.generation !== state.generation) return state;
      const items = action.append
        ? [...state.items, ...action.items.filter((c) => !state.items.some((p) => p.id === c.id))]
        : action.items;
      return { ...state, items, cursor: action.cursor, loading: false };
    }
    case "failed":
      return action.generation === state.generation ? { ...state, loading: false } : state;
    case "updated":
      return { ...state, items: place(state.items, action.conversation, state.view, state.cursor !== null) };
    case "removed":
      return { ...state, items: state.items.filter((c) => c.id !== action.id) };
    case "touched": {
      const existing = state.items.find((c) => c.id === action.conversation.id);
      const merged = {
        title: "New chat",
        system_prompt: "",
        created_at: action.now,
        ...existing,
        ...action.conversation,
        updated_at: action.now,
      } as Conversation;
      // New activity is always newer than anything loaded: it cannot belong to a later page.
      return { ...state, items: place(state.items, merged, state.view, false) };
    }
  }
}

export function viewLabel(view: View, folderName: (id: string) => string | null): string {
  if (view.kind === "archived") return "Archived";
  if (view.kind === "folder") return folderName(view.id) ?? "Folder";
  return "All chats";
}
