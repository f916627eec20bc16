import { describe, expect, it } from "vitest";
import { charCount, lengthMessage, lengthState, MESSAGE_MAX_CHARS } from "./limits";

describe("message length", () => {
  it("counts code points, as the server does", () => {
    expect(charCount("abc")).toBe(3);
    expect(charCount("😀😀")).toBe(2);
    expect(charCount("é")).toBe(1);
  });
  it("is near from 90 % and over past the limit", () => {
    expect(lengthState("x".repeat(89_999))).toMatchObject({ near: false, over: false });
    expect(lengthState("x".repeat(90_000))).toMatchObject({ near: true, over: false });
    expect(lengthState("x".repeat(MESSAGE_MAX_CHARS))).toMatchObject({ over: false });
    expect(lengthState("x".repeat(MESSAGE_MAX_CHARS + 1))).toMatchObject({ over: true });
  });
  it("says it for people", () => {
    expect(lengthMessage(lengthState("x".repeat(100_250)))).toBe("250 characters over the limit of 100,000. Shorten your message to send it.");
    expect(lengthMessage(lengthState("x".repeat(95_000)))).toBe("95,000 / 100,000 characters");
  });
});
