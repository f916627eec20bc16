import { describe, expect, it } from "vitest";
import { formatCost, formatDateTime, formatIn, formatUsd, formatWhen, humanizeText } from "./format";

const L = "en-US";

describe("formatUsd", () => {
  it.each([
    ["105.20000000", "$105.20"],
    ["0E-8", "$0.00"],
    ["0.00000000", "$0.00"],
    ["1234.5", "$1,234.50"],
    ["0.5", "$0.50"],
    ["0.0123456", "$0.0123"],
    ["0.000024", "$0.000024"],
    ["0.00002449", "$0.000024"],
    ["1E-9", "< $0.000001"],
    [0.05, "$0.05"],
    ["-2.5", "-$2.50"],
  ])("%s → %s", (value, expected) => {
    expect(formatUsd(value, { locale: L })).toBe(expected);
  });

  it("shows nothing for missing or malformed amounts", () => {
    for (const v of [null, undefined, "", "abc", "NaN"]) expect(formatUsd(v, { locale: L })).toBe("—");
  });

  it("never shows exponent notation or trailing zeros", () => {
    for (const v of ["0E-8", "1.00000000", "3E+2", "0.10000000", "7.5E-7"]) {
      const out = formatUsd(v, { locale: L });
      expect(out).not.toMatch(/E|e[-+]/);
      expect(out).not.toMatch(/\.\d*000$/);
    }
  });
});

describe("formatCost", () => {
  it("says free for nothing", () => {
    expect(formatCost("0", L)).toBe("free");
    expect(formatCost("0E-8", L)).toBe("free");
    expect(formatCost("0.000012", L)).toBe("$0.000012");
  });
});

describe("times", () => {
  const reset = "2026-12-07T00:00:00+00:00";
  const now = Date.parse("2026-12-06T15:11:00Z");
  it("formats a time once, in the reader's zone", () => {
    expect(formatDateTime(reset, L, "UTC")).toBe("Dec 7, 2026, 12:00 AM");
  });
  it("says how long until it", () => {
    expect(formatIn(reset, now)).toBe("in 8 h 49 min");
    expect(formatWhen(reset, now, L, "UTC")).toBe("Dec 7, 2026, 12:00 AM (in 8 h 49 min)");
  });
});

describe("humanizeText", () => {
  it("formats the amounts and times a server wrote into a sentence", () => {
    const text =
      "Your daily budget of $105.20000000 is spent ($105.20000000 used, $0E-8 in flight; this call could cost up to $0.00012300). It resets at 2026-12-07T00:00:00+00:00.";
    expect(humanizeText(text, L, "UTC")).toBe(
      "Your daily budget of $105.20 is spent ($105.20 used, $0.00 in flight; this call could cost up to $0.00012). It resets at Dec 7, 2026, 12:00 AM.",
    );
  });
});
