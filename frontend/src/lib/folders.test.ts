import { describe, expect, it } from "vitest";
import { presetsReducer } from "@/hooks/usePresets";
import type { Preset } from "@/lib/parameters";
import { type Folder, foldersReducer } from "./folders";

const folder = (id: string, name: string, count = 0): Folder => ({ id, name, conversation_count: count, created_at: "", updated_at: "" });
const preset = (id: string, name: string) => ({ id, name, model: null, temperature: null, max_tokens: null, system_prompt: "" }) as unknown as Preset;
const names = (items: { name: string }[]) => items.map((i) => i.name);

describe("folders and presets, listed by name whatever its case (as the server lists them)", () => {
  it("loads, adds and renames in name order", () => {
    let items = foldersReducer([], { type: "loaded", items: [folder("1", "work"), folder("2", "Archive of ideas")] });
    expect(names(items)).toEqual(["Archive of ideas", "work"]);
    items = foldersReducer(items, { type: "saved", folder: folder("3", "Travel") });
    items = foldersReducer(items, { type: "saved", folder: folder("2", "Zoo", 4) });
    expect(names(items)).toEqual(["Travel", "work", "Zoo"]);
    expect(items[2]?.conversation_count).toBe(4);
  });

  it("removes a folder", () => {
    const items = foldersReducer([folder("1", "a"), folder("2", "b")], { type: "removed", id: "1" });
    expect(names(items)).toEqual(["b"]);
  });

  it("keeps presets in name order as they are saved and deleted", () => {
    let items = presetsReducer([], { type: "loaded", items: [preset("1", "translator"), preset("2", "Coder")] });
    items = presetsReducer(items, { type: "saved", preset: preset("3", "brief") });
    expect(names(items)).toEqual(["brief", "Coder", "translator"]);
    expect(names(presetsReducer(items, { type: "removed", id: "2" }))).toEqual(["brief", "translator"]);
  });
});
