/**
 * Citation markers in an answer: `[1]`, `[2]` become buttons that open the cited passage.
 *
 * A rehype plugin run after sanitising (the buttons are ours, never the answer's HTML): only
 * numbers the reply was actually given as sources become buttons; `[7]` with no source 7, and
 * anything inside code or a link, stays text.
 */

interface HNode {
  type: string;
  tagName?: string;
  value?: string;
  properties?: Record<string, unknown>;
  children?: HNode[];
}

const SKIP = new Set(["code", "pre", "a", "button", "kbd"]);
const MARK = /\[(\d{1,3})\]/g;

/** Text and citation numbers, in order: `"a [1] b"` → `["a ", 1, " b"]`. */
export function splitCitations(text: string, known: ReadonlySet<number>): Array<string | number> {
  const out: Array<string | number> = [];
  let last = 0;
  for (const match of text.matchAll(MARK)) {
    const n = Number(match[1]);
    if (!known.has(n)) continue;
    const at = match.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    out.push(n);
    last = at + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function citeNode(n: number): HNode {
  return {
    type: "element",
    tagName: "button",
    properties: { type: "button", dataCite: String(n) },
    children: [{ type: "text", value: `[${n}]` }],
  };
}

export function rehypeCitations(known: ReadonlySet<number>) {
  const walk = (node: HNode) => {
    if (!node.children || (node.tagName && SKIP.has(node.tagName))) return;
    node.children = node.children.flatMap((child) => {
      if (child.type !== "text") {
        walk(child);
        return [child];
      }
      const parts = splitCitations(child.value ?? "", known);
      return parts.map((p) => (typeof p === "number" ? citeNode(p) : { type: "text", value: p }));
    });
  };
  return () => (tree: HNode) => walk(tree);
}
