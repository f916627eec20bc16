/**
 * Math delimiters as models write them, turned into the ones remark-math reads.
 *
 * remark-math knows `$$…$$` (inline in text, display when fenced on their own lines). Models
 * also write `\(…\)`, `\[…\]`, `$…$` and one-line `$$…$$` displays. Single dollars follow
 * Pandoc's rule so prices stay text: the opening `$` has a non-space after it, the closing one a
 * non-space before it and no digit after it ("$5 and $10" is not math; "$x^2$" is). Code — fenced
 * blocks and inline spans — is never touched.
 *
 *   normalizeMath("area \\(\\pi r^2\\)")  →  "area $$\\pi r^2$$"
 */
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const CODE_SPAN = /(`+)[^`]*?\1/g;
const DISPLAY_BRACKETS = /\\\[([\s\S]+?)\\\]/g;
const INLINE_PARENS = /\\\(([\s\S]+?)\\\)/g;
const ONE_LINE_DISPLAY = /^([ \t]*)\$\$([^$\n]+?)\$\$[ \t]*$/gm;
const SINGLE_DOLLAR = /(^|[^\\$])\$(?![\s$])([^$\n]*?[^\s\\$])\$(?![\d$])/g;

function mathInText(text: string): string {
  const spans: string[] = [];
  const masked = text.replace(CODE_SPAN, (span) => `\u0000${spans.push(span) - 1}\u0000`);
  const out = masked
    .replace(DISPLAY_BRACKETS, (_m, body: string) => `\n$$\n${body.trim()}\n$$\n`)
    .replace(INLINE_PARENS, (_m, body: string) => `$$${body.trim()}$$`)
    .replace(ONE_LINE_DISPLAY, (_m, indent: string, body: string) => `${indent}$$\n${indent}${body.trim()}\n${indent}$$`)
    .replace(SINGLE_DOLLAR, (_m, before: string, body: string) => `${before}$$${body}$$`);
  return out.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => spans[Number(i)] ?? "");
}

export function normalizeMath(text: string): string {
  if (!text.includes("$") && !text.includes("\\")) return text;
  const lines = text.split("\n");
  const out: string[] = [];
  let prose: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    if (prose.length) out.push(mathInText(prose.join("\n")));
    prose = [];
  };
  for (const line of lines) {
    const open = FENCE.exec(line);
    if (fence === null && open) {
      flush();
      fence = open[1]!;
      out.push(line);
    } else if (fence !== null) {
      out.push(line);
      const close = FENCE.exec(line);
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length && line.trim() === close[1]) fence = null;
    } else prose.push(line);
  }
  flush();
  return out.join("\n");
}
