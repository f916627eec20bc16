import { describe, expect, it } from "vitest";
import type { Conversation } from "@/api/types";
import { ALL, belongs, compare, initialList, type ListState, listReducer, viewLabel } from "./conversationList";

let n = 0;
function conv(over: Partial<Conversation> = {}): Conversation {
  n += 1;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    title: `c${n}`,
    system_prompt: "",
    created_at: "2025-01-01T00:00:00Z",
    updated_at: `2025-01-01T00:00:${String(n).padStart(2, "0")}Z`,
    pinned: false,
    folder_id: null,
    archived_at: null,
    ...over,
  } as Conversation;
}

function loaded(items: Conversation[], cursor: string | null = null, view = ALL): ListState {
  const state = listReducer({ ...initialList, view }, { type: "fetching", generation: 1 });
  return listReducer(state, { type: "page", generation: 1, items, cursor, append: false });
}

const titles = (s: ListState) => s.items.map((c) => c.title);

describe("conversation list order and views", () => {
  it("orders pinned first, then newest activity, then id — the server's order", () => {
    const old = conv({ title: "old" });
    const pinnedOld = conv({ title: "pinned", pinned: true, updated_at: "2024-01-01T00:00:00Z" });
    const newest = conv({ title: "newest" });
    expect([old, newest, pinnedOld].sort(compare).map((c) => c.title)).toEqual(["pinned", "newest", "old"]);
  });

  it("places a view's members: archived only in the archive, a folder's only in it", () => {
    const filed = conv({ folder_id: "f1" });
    const archived = conv({ archived_at: "2025-01-02T00:00:00Z", folder_id: "f1" });
    expect([belongs(filed, ALL), belongs(filed, { kind: "folder", id: "f1" }), belongs(filed, { kind: "folder", id: "f2" })]).toEqual([true, true, false]);
    expect([belongs(archived, ALL), belongs(archived, { kind: "folder", id: "f1" }), belongs(archived, { kind: "archived" })]).toEqual([false, false, true]);
  });

  it("pinning moves a conversation to the top; unpinning puts it back in time order", () => {
    const a = conv({ title: "a" });
    const b = conv({ title: "b" });
    let state = loaded([b, a]);
    state = listReducer(state, { type: "updated", conversation: { ...a, pinned: true } });
    expect(titles(state)).toEqual(["a", "b"]);
    state = listReducer(state, { type: "updated", conversation: { ...a, pinned: false } });
    expect(titles(state)).toEqual(["b", "a"]);
  });

  it("archiving or moving out of the shown folder takes it out of the list", () => {
    const a = conv({ title: "a", folder_id: "f1" });
    const b = conv({ title: "b", folder_id: "f1" });
    let state = loaded([b, a], null, { kind: "folder", id: "f1" });
    state = listReducer(state, { type: "updated", conversation: { ...a, folder_id: null } });
    expect(titles(state)).toEqual(["b"]);
    state = listReducer(state, { type: "updated", conversation: { ...b, archived_at: "2025-02-01T00:00:00Z" } });
    expect(titles(state)).toEqual([]);
  });

  it("an item that sorts after the last loaded one is left for the next page", () => {
    const older = conv({ title: "older", updated_at: "2020-01-01T00:00:00Z" });
    const a = conv({ title: "a" });
    const state = listReducer(loaded([a], "cursor"), { type: "updated", conversation: older });
    expect(titles(state)).toEqual(["a"]);
  });

  it("new activity moves it up, keeping what the list knew of it", () => {
    const a = conv({ title: "a", folder_id: "f1" });
    const b = conv({ title: "b", folder_id: "f1" });
    const state = listReducer(loaded([b, a], null, { kind: "folder", id: "f1" }), {
      type: "touched",
      conversation: { id: a.id },
      now: "2030-01-01T00:00:00Z",
    });
    expect(titles(state)).toEqual(["a", "b"]);
    expect(state.items[0]?.folder_id).toBe("f1");
  });

  it("a page for an older fetch is ignored; a new view starts empty and loading", () => {
    let state = loaded([conv()]);
    state = listReducer(state, { type: "view", view: { kind: "archived" } });
    expect([state.items.length, state.loading]).toEqual([0, true]);
    state = listReducer(state, { type: "fetching", generation: 2 });
    state = listReducer(state, { type: "page", generation: 1, items: [conv()], cursor: null, append: false });
    expect(state.items).toEqual([]);
  });

  it("names the view", () => {
    const name = (id: string) => (id === "f1" ? "Work" : null);
    expect([viewLabel(ALL, name), viewLabel({ kind: "folder", id: "f1" }, name), viewLabel({ kind: "archived" }, name)]).toEqual(["All chats", "Work", "Archived"]);
  });
});
