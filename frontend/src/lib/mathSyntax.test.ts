import { describe, expect, it } from "vitest";
import { normalizeMath } from "./mathSyntax";

describe("normalizeMath", () => {
  it.each([
    ["area \\(\\pi r^2\\) here", "area $$\\pi r^2$$ here"],
    ["so $x^2 + 1$ grows", "so $$x^2 + 1$$ grows"],
    ["\\[\n\\int_0^1 x\\,dx\n\\]", "\n$$\n\\int_0^1 x\\,dx\n$$\n"],
    ["$$E = mc^2$$", "$$\nE = mc^2\n$$"],
  ])("reads %j as math", (input, output) => {
    expect(normalizeMath(input)).toBe(output);
  });

  it.each([
    "It costs $5 and $10 in total.",
    "between $5-$10",
    "a lone $ sign",
    "escaped \\$x\\$ stays",
    "price: $ 3 $",
  ])("leaves %j as text", (input) => {
    expect(normalizeMath(input)).toBe(input);
  });

  it("never touches code", () => {
    const text = "`$x$` and\n```\n$y$ \\(z\\)\n```\nbut $w$";
    expect(normalizeMath(text)).toBe("`$x$` and\n```\n$y$ \\(z\\)\n```\nbut $$w$$");
  });
});
