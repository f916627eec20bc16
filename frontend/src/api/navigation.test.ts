import { describe, expect, it } from "vitest";
import { loginUrl, safeNext } from "./navigation";

describe("safeNext", () => {
  it("keeps same-origin paths", () => {
    expect(safeNext("/usage/?x=1")).toBe("/usage/?x=1");
  });
  it.each(["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", "", null])("refuses %s", (next) => {
    expect(safeNext(next)).toBe("/");
  });
  it("does not send a signed-in user back to the sign-in page", () => {
    expect(safeNext("/login/?next=/x")).toBe("/");
  });
});

describe("loginUrl", () => {
  it("remembers where the user was", () => {
    expect(loginUrl("/?c=abc")).toBe("/login/?next=%2F%3Fc%3Dabc");
  });
});
