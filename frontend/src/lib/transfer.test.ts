import { describe, expect, it } from "vitest";
import { exportUrl, importSummary, shareUrl, tokenFromHash } from "./transfer";

const TOKEN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_x";

describe("transfer helpers", () => {
  it("builds export URLs for one conversation and for all", () => {
    expect(exportUrl("c/1", "markdown")).toBe("/api/v1/conversations/c%2F1/export?format=markdown");
    expect(exportUrl(null, "json")).toBe("/api/v1/exports?format=json");
  });

  it("puts the share token in the fragment", () => {
    expect(shareUrl(TOKEN, "https://chat.example")).toBe(`https://chat.example/share/#${TOKEN}`);
  });

  it("reads a token from the hash and refuses anything else", () => {
    expect(tokenFromHash(`#${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromHash(`#token=${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromHash("#short")).toBeNull();
    expect(tokenFromHash("")).toBeNull();
    expect(tokenFromHash(`#${TOKEN}<script>`)).toBeNull();
  });

  it("summarises an import", () => {
    expect(importSummary({ format: "chatgpt", conversations: 1, messages: 2 })).toBe(
      "Imported 1 conversation (2 messages) from ChatGPT.",
    );
    expect(importSummary({ format: "lockgate", conversations: 3, messages: 1 })).toBe(
      "Imported 3 conversations (1 message) from a Lockgate export.",
    );
  });
});
