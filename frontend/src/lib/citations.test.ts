import { describe, expect, it } from "vitest";
import { rehypeCitations, splitCitations } from "./citations";

describe("splitCitations", () => {
  it("cuts out the numbers the reply was given", () => {
    expect(splitCitations("Lamp lit at dusk [1]. Oil [2][3].", new Set([1, 2, 3]))).toEqual([
      "Lamp lit at dusk ",
      1,
      ". Oil ",
      2,
      3,
      ".",
    ]);
  });

  it("leaves an unknown number as text", () => {
    expect(splitCitations("see [7] and [1]", new Set([1]))).toEqual(["see [7] and ", 1]);
  });
});

describe("rehypeCitations", () => {
  it("never touches code or links", () => {
    const tree = {
      type: "root",
      children: [
        { type: "element", tagName: "code", children: [{ type: "text", value: "a[1]" }] },
        { type: "element", tagName: "p", children: [{ type: "text", value: "x [1]" }] },
      ],
    };
    rehypeCitations(new Set([1]))()(tree);
    expect(tree.children[0]?.children).toEqual([{ type: "text", value: "a[1]" }]);
    expect(tree.children[1]?.children?.[1]).toMatchObject({ tagName: "button", properties: { dataCite: "1" } });
  });
});
