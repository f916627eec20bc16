import { describe, expect, it } from "vitest";
import type { Attachment } from "@/api/types";
import { byMessage, draftsReducer, initialDrafts, isUploading, precheck, readyIds, sendBlocker, type DraftState } from "./attachments";

function attachment(id: string): Attachment {
  return {
    id,
    name: `${id}.png`,
    mime_type: "image/png",
    byte_size: 10,
    width: 4,
    height: 3,
    conversation_id: null,
    created_at: "2026-12-07T00:00:00Z",
    url: `/api/v1/attachments/${id}/content`,
  };
}

function withTwo(): DraftState {
  let state = draftsReducer(initialDrafts, { type: "added", key: "a", name: "a.png", preview: "blob:a" });
  state = draftsReducer(state, { type: "added", key: "b", name: "b.png", preview: "blob:b" });
  return state;
}

describe("draftsReducer", () => {
  it("adds files as uploading, in order", () => {
    const state = withTwo();
    expect(state.items.map((i) => [i.key, i.status])).toEqual([
      ["a", "uploading"],
      ["b", "uploading"],
    ]);
    expect(isUploading(state)).toBe(true);
    expect(readyIds(state)).toEqual([]);
  });

  it("sends only uploaded images, in the order they were added", () => {
    let state = withTwo();
    state = draftsReducer(state, { type: "uploaded", key: "b", attachment: attachment("id-b") });
    state = draftsReducer(state, { type: "uploaded", key: "a", attachment: attachment("id-a") });
    expect(readyIds(state)).toEqual(["id-a", "id-b"]);
    expect(isUploading(state)).toBe(false);
  });

  it("keeps a failed upload with its reason and sends without it", () => {
    let state = withTwo();
    state = draftsReducer(state, { type: "failed", key: "a", error: "The file is not a PNG, JPEG, GIF or WebP image." });
    state = draftsReducer(state, { type: "uploaded", key: "b", attachment: attachment("id-b") });
    expect(state.items[0]).toMatchObject({ status: "failed", error: "The file is not a PNG, JPEG, GIF or WebP image." });
    expect(readyIds(state)).toEqual(["id-b"]);
  });

  it("ignores the upload of an image removed while it was uploading", () => {
    let state = draftsReducer(withTwo(), { type: "removed", key: "a" });
    state = draftsReducer(state, { type: "uploaded", key: "a", attachment: attachment("id-a") });
    expect(state.items.map((i) => i.key)).toEqual(["b"]);
    expect(readyIds(state)).toEqual([]);
  });

  it("clears after a send", () => {
    expect(draftsReducer(withTwo(), { type: "cleared" })).toEqual(initialDrafts);
  });
});

describe("precheck", () => {
  it("refuses what is not an image type, an empty file, and one too many", () => {
    expect(precheck({ type: "application/pdf", size: 10 }, 0)).toMatch(/PNG, JPEG, GIF and WebP/);
    expect(precheck({ type: "image/png", size: 0 }, 0)).toBe("The file is empty.");
    expect(precheck({ type: "image/png", size: 10 }, 20)).toMatch(/At most 20 images/);
    expect(precheck({ type: "image/png", size: 6 * 1024 * 1024 }, 0, 5 * 1024 * 1024)).toMatch(/over 5 MB/);
    expect(precheck({ type: "image/webp", size: 10 }, 3)).toBeNull();
  });
});

describe("sendBlocker", () => {
  it("says before sending that the model cannot see images", () => {
    expect(sendBlocker(withTwo(), false, "Text only")).toBe("Text only cannot see images. Choose a model that can, or remove the images.");
  });

  it("waits for uploads, and lets a text-only message through any model", () => {
    expect(sendBlocker(withTwo(), true, "Eye")).toMatch(/finish uploading/);
    expect(sendBlocker(initialDrafts, false, "Text only")).toBeNull();
  });
});

describe("byMessage", () => {
  it("maps each message id to its images", () => {
    expect(byMessage([{ message_id: "m1", attachments: [attachment("x")] }])).toEqual({ m1: [attachment("x")] });
    expect(byMessage(undefined)).toEqual({});
  });
});
