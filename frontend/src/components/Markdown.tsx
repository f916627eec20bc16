"use client";

import { memo, useMemo, type ComponentPropsWithoutRef, type ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import rehypeSanitize, { defaultSchema } from "rehype-sanitize";
import remarkGfm from "remark-gfm";
import remarkMath from "remark-math";
import { rehypeCitations } from "@/lib/citations";
import { normalizeMath } from "@/lib/mathSyntax";
import { msg } from "@/lib/messages";
import { CodeBlock } from "./markdown/CodeBlock";
import { Diagram } from "./markdown/Diagram";
import { MathView } from "./markdown/MathView";

/**
 * Assistant answers as GitHub-flavoured markdown. Raw HTML in the text is never interpreted: it
 * is shown as the literal text it is (remarkHtmlAsText). The tree is then sanitised after parsing
 * (rehype-sanitize, GitHub's schema), unsafe URLs such as `javascript:` are dropped, and only
 * then is code highlighted (its classes come from us, not from the message).
 *
 * Math (`$$…$$`, `\(…\)`, …; see lib/mathSyntax.ts) is drawn by KaTeX and ```mermaid blocks by
 * Mermaid, each loaded on first use and each treating the answer as hostile (see
 * markdown/katexRender.ts and markdown/mermaidRender.ts).
 */

interface MdNode {
  type: string;
  value?: string;
  children?: MdNode[];
}

const BLOCK_PARENTS = new Set(["root", "blockquote", "listItem", "footnoteDefinition"]);

/** A remark plugin: every raw HTML node becomes text (a paragraph of text where a block is expected). */
export function remarkHtmlAsText() {
  const walk = (node: MdNode) => {
    const children = node.children;
    if (!children) return;
    node.children = children.map((child) => {
      if (child.type !== "html") {
        walk(child);
        return child;
      }
      const text: MdNode = { type: "text", value: child.value ?? "" };
      return BLOCK_PARENTS.has(node.type) ? { type: "paragraph", children: [text] } : text;
    });
  };
  return (tree: MdNode) => walk(tree);
}

const schema = {
  ...defaultSchema,
  attributes: {
    ...defaultSchema.attributes,
    // remark-math marks math as <code class="language-math math-inline|math-display">.
    // (Replacing the default's className rule: the sanitiser reads only the first one it finds.)
    code: [
      ...(defaultSchema.attributes?.code ?? []).filter((a) => (Array.isArray(a) ? a[0] : a) !== "className"),
      ["className", /^language-[\w-]+$/, "math-inline", "math-display"],
    ],
  },
};

const ALLOWED_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

export type LinkTarget =
  | { kind: "internal"; href: string }
  | { kind: "external"; href: string }
  | { kind: "mail"; href: string }
  | { kind: "blocked" };

function pageOrigin(): string {
  return typeof window === "undefined" ? "" : window.location.origin;
}

/**
 * What a link in an answer may be, decided by the browser's own URL parser against this page's
 * origin (so `//evil.example`, `/\evil.example` and `https:evil.example` are seen as the other
 * sites they are): a path here stays in the tab; another origin opens in a new tab without opener
 * or referrer; `mailto:` stays a mail link; anything else (javascript:, data:, ftp:, ...) is text.
 */
export function linkTarget(href: string, origin: string = pageOrigin()): LinkTarget {
  const base = origin || "http://localhost.invalid";
  let url: URL;
  try {
    url = new URL(href, base);
  } catch {
    return { kind: "blocked" };
  }
  if (!ALLOWED_PROTOCOLS.has(url.protocol)) return { kind: "blocked" };
  if (url.protocol === "mailto:") return { kind: "mail", href: url.href };
  if (origin && url.origin === new URL(origin).origin) return { kind: "internal", href: `${url.pathname}${url.search}${url.hash}` };
  return { kind: "external", href: url.href };
}

export function isExternal(href: string, origin: string = pageOrigin()): boolean {
  const target = linkTarget(href, origin);
  return target.kind === "external" || target.kind === "blocked";
}

interface HastNode {
  type: string;
  tagName?: string;
  value?: string;
  properties?: Record<string, unknown>;
  children?: HastNode[];
}

function textOf(node: HastNode): string {
  if (node.type === "text") return node.value ?? "";
  // A nested list is its own tasks: not part of this item's label.
  if (node.tagName === "ul" || node.tagName === "ol") return "";
  return (node.children ?? []).map(textOf).join("");
}

/**
 * A rehype plugin (run after sanitising, so the attribute is ours): each GFM task-list checkbox
 * is named by its item's text, since a checkbox without a name is an axe "critical" violation.
 */
export function rehypeLabelTasks() {
  const walk = (node: HastNode) => {
    for (const child of node.children ?? []) {
      if (child.tagName === "li") {
        const box = child.children?.find((c) => c.tagName === "input" && c.properties?.type === "checkbox");
        if (box) {
          const label = textOf(child).replace(/\s+/g, " ").trim();
          box.properties = { ...box.properties, ariaLabel: msg.tasks.label(label), disabled: true };
        }
      }
      walk(child);
    }
  };
  return (tree: HastNode) => walk(tree);
}

interface CodeChild {
  properties?: { className?: unknown };
  children?: { type: string; value?: string }[];
}

function classesOf(node: unknown): string[] {
  const first = (node as { children?: CodeChild[] } | undefined)?.children?.[0];
  const classes = first?.properties?.className;
  return Array.isArray(classes) ? classes.filter((c): c is string => typeof c === "string") : [];
}

function languageOf(node: unknown): string | null {
  const lang = classesOf(node).find((c) => c.startsWith("language-"));
  return lang ? lang.slice("language-".length) : null;
}

/** The raw text of a block's <code> (before any highlighting, which math and diagrams skip). */
function codeTextOf(node: unknown): string {
  const first = (node as { children?: CodeChild[] } | undefined)?.children?.[0];
  return (first?.children ?? []).map((c) => (c.type === "text" ? (c.value ?? "") : "")).join("").replace(/\n$/, "");
}

function Pre({ node, children }: ComponentPropsWithoutRef<"pre"> & { node?: unknown }) {
  const language = languageOf(node);
  if (language === "math" && classesOf(node).includes("math-display")) return <MathView tex={codeTextOf(node)} display />;
  if (language === "mermaid") return <Diagram code={codeTextOf(node)} />;
  return <CodeBlock language={language}>{children}</CodeBlock>;
}

function Code({ node, className, children }: ComponentPropsWithoutRef<"code"> & { node?: unknown }) {
  const classes = (className ?? "").split(/\s+/);
  if (classes.includes("math-inline")) {
    const tex = ((node as CodeChild | undefined)?.children ?? []).map((c) => c.value ?? "").join("");
    return <MathView tex={tex} display={false} />;
  }
  return <code className={className}>{children}</code>;
}

function Link({ href, children }: { href?: string | undefined; children?: ReactNode }) {
  const target = href ? linkTarget(href) : ({ kind: "blocked" } as const);
  switch (target.kind) {
    case "blocked":
      return <span>{children}</span>;
    case "internal":
      return <a href={target.href}>{children}</a>;
    case "mail":
      return (
        <a href={target.href} rel="noopener noreferrer">
          {children}
        </a>
      );
    case "external":
      return (
        <a href={target.href} target="_blank" rel="noopener noreferrer" data-external="">
          {children}
          <span aria-hidden="true" className="external-mark">
            ↗
          </span>
          <span className="sr-only"> (opens in a new tab)</span>
        </a>
      );
  }
}

function TaskBox(props: ComponentPropsWithoutRef<"input"> & { node?: unknown }) {
  const { node: _node, ...rest } = props;
  if (rest.type !== "checkbox") return <input {...rest} />;
  return <input type="checkbox" checked={!!rest.checked} disabled readOnly aria-label={rest["aria-label"] ?? "Task"} />;
}

const components: Components = {
  pre: Pre,
  code: Code,
  a: ({ href, children }) => <Link href={href}>{children}</Link>,
  input: TaskBox,
  // Remote images would leak the reader's address (and the CSP blocks them anyway): show a link.
  img: ({ src, alt }) =>
    typeof src === "string" && src ? (
      <Link href={src}>{`[image${alt ? `: ${alt}` : ""}]`}</Link>
    ) : (
      <span>{`[image${alt ? `: ${alt}` : ""}]`}</span>
    ),
  table: ({ children }) => (
    <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Table">
      <table>{children}</table>
    </div>
  ),
};

// `$…$` is read by normalizeMath (Pandoc's rule), not by remark-math, so prices stay text.
const remarkMathOptions = { singleDollarTextMath: false };

/** An answer's sources: its `[n]` markers become buttons (lib/citations.ts). */
export interface Citations {
  known: ReadonlySet<number>;
  label: (n: number) => string;
  onOpen: (n: number) => void;
}

function withCitations(citations: Citations): Components {
  return {
    ...components,
    button: (props) => {
      const n = Number((props as Record<string, unknown>)["data-cite"]);
      return (
        <button type="button" className="cite" data-cite={n} aria-label={citations.label(n)} onClick={() => citations.onOpen(n)}>
          {props.children}
        </button>
      );
    },
  };
}

export const Markdown = memo(function Markdown({ text, className = "", citations = null }: { text: string; className?: string; citations?: Citations | null }) {
  const source = useMemo(() => normalizeMath(text), [text]);
  const cited = useMemo(() => (citations ? { plugin: rehypeCitations(citations.known), components: withCitations(citations) } : null), [citations]);
  return (
    <div className={`prose-chat ${className}`}>
      <ReactMarkdown
        remarkPlugins={[remarkGfm, [remarkMath, remarkMathOptions], remarkHtmlAsText]}
        rehypePlugins={[
          [rehypeSanitize, schema],
          rehypeLabelTasks,
          ...(cited ? [cited.plugin] : []),
          [rehypeHighlight, { detect: false, plainText: ["math", "mermaid"] }],
        ]}
        components={cited ? cited.components : components}
      >
        {source}
      </ReactMarkdown>
    </div>
  );
});
