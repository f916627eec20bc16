import { describe, expect, it } from "vitest";
import { type MessageHit, hitHref, initialSearch, searchReducer, snippetParts } from "./messageSearch";

function hit(id: string, extra: Partial<MessageHit> = {}): MessageHit {
  return {
    archived: false,
    conversation_id: "c1",
    conversation_title: "Trip",
    created_at: "2030-01-01T00:00:00Z",
    highlights: [],
    matched_by: ["words"],
    message_id: id,
    role: "user",
    score: 0.01,
    similarity: null,
    snippet: "text",
    ...extra,
  };
}

describe("snippetParts", () => {
  it("marks the highlighted words and keeps the rest as plain text", () => {
    expect(snippetParts("a flight to Lisbon", [{ start: 12, end: 18 }, { start: 2, end: 8 }])).toEqual([
      { text: "a ", marked: false },
      { text: "flight", marked: true },
      { text: " to ", marked: false },
      { text: "Lisbon", marked: true },
    ]);
  });

  it("clamps offsets past the end and overlapping ranges", () => {
    expect(snippetParts("abc", [{ start: 1, end: 9 }, { start: 2, end: 3 }])).toEqual([
      { text: "a", marked: false },
      { text: "bc", marked: true },
    ]);
  });

  it("never interprets the snippet as markup", () => {
    expect(snippetParts("<b>x</b>", [])).toEqual([{ text: "<b>x</b>", marked: false }]);
  });
});

describe("searchReducer", () => {
  it("ignores a page for an older query", () => {
    let state = searchReducer(initialSearch, { type: "fetching", query: "a", generation: 1 });
    state = searchReducer(state, { type: "fetching", query: "ab", generation: 2 });
    const stale = searchReducer(state, { type: "page", generation: 1, append: false, page: { items: [hit("old")], next_cursor: null, meaning: "used" } });
    expect(stale.hits).toEqual([]);
    const fresh = searchReducer(state, { type: "page", generation: 2, append: false, page: { items: [hit("new")], next_cursor: "n", meaning: "used" } });
    expect(fresh.hits.map((h) => h.message_id)).toEqual(["new"]);
    expect(fresh.cursor).toBe("n");
    expect(fresh.loading).toBe(false);
  });

  it("appends the next page without repeating a hit, and says when meaning was unavailable", () => {
    let state = searchReducer(initialSearch, { type: "fetching", query: "a", generation: 1 });
    state = searchReducer(state, { type: "page", generation: 1, append: false, page: { items: [hit("1"), hit("2")], next_cursor: "c", meaning: "used" } });
    state = searchReducer(state, { type: "page", generation: 1, append: true, page: { items: [hit("2"), hit("3")], next_cursor: null, meaning: "unavailable" } });
    expect(state.hits.map((h) => h.message_id)).toEqual(["1", "2", "3"]);
    expect(state.cursor).toBeNull();
    expect(state.meaning).toBe("unavailable");
  });

  it("clears the hits and outdates pages in flight", () => {
    let state = searchReducer(initialSearch, { type: "fetching", query: "a", generation: 1 });
    state = searchReducer(state, { type: "cleared" });
    const late = searchReducer(state, { type: "page", generation: 1, append: false, page: { items: [hit("x")], next_cursor: null, meaning: "used" } });
    expect(late.hits).toEqual([]);
  });
});

describe("hitHref", () => {
  it("names the conversation and the message", () => {
    expect(hitHref({ conversation_id: "c 1", message_id: "m1" })).toBe("/?c=c%201&m=m1");
  });
});
