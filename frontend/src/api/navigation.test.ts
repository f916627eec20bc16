import { describe, expect, it } from "vitest";
import { loginUrl, safeNext } from "./navigation";

const ORIGIN = "http://127.0.0.1:8000";

describe("safeNext", () => {
  it.each([
    ["/usage/?x=1", "/usage/?x=1"],
    ["/?c=abc", "/?c=abc"],
    ["/settings/#sessions", "/settings/#sessions"],
    ["/usage", "/usage/"],
    [`${ORIGIN}/usage/`, "/", ], // absolute URLs are refused even on the same origin: only paths
  ])("keeps same-origin app paths: %s", (next, expected) => {
    expect(safeNext(next, "/", ORIGIN)).toBe(expected);
  });

  // Each payload as the browser hands it to us: URLSearchParams has already percent-decoded it.
  it.each([
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    "/\r/evil.example/x",
    "/\r\n/evil.example/x",
    "\t//evil.example",
    "/ /evil.example",
    "/%09/evil.example/x",
    "/%2F/evil.example",
    "https:evil.example",
    "https:/evil.example",
    "http://127.0.0.1:8000@evil.example/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/login/?next=/x",
    "/register/",
    "/no/such/page",
    "",
    null,
    undefined,
  ])("refuses %j", (next) => {
    expect(safeNext(next, "/", ORIGIN)).toBe("/");
  });

  it("refuses what decodes to another origin from the query string", () => {
    for (const raw of ["%2F%09%2Fevil.example%2Fx", "%2F%0A%2Fevil.example%2Fx", "%2F%0D%2Fevil.example%2Fx", "%2F%5Cevil.example"]) {
      const next = new URLSearchParams(`next=${raw}`).get("next");
      expect(safeNext(next, "/", ORIGIN)).toBe("/");
    }
  });
});

describe("loginUrl", () => {
  it("remembers where the user was", () => {
    expect(loginUrl("/?c=abc")).toBe("/login/?next=%2F%3Fc%3Dabc");
  });
});
