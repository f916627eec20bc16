"use client";

import { memo, useRef, type ComponentPropsWithoutRef, type ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import rehypeSanitize, { defaultSchema } from "rehype-sanitize";
import remarkGfm from "remark-gfm";
import { CopyButton } from "./CopyButton";

/**
 * Assistant answers as GitHub-flavoured markdown. Raw HTML in the text is never interpreted: it
 * is shown as the literal text it is (remarkHtmlAsText). The tree is then sanitised after parsing
 * (rehype-sanitize, GitHub's schema), unsafe URLs such as `javascript:` are dropped, and only
 * then is code highlighted (its classes come from us, not from the message).
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
    code: [...(defaultSchema.attributes?.code ?? []), ["className", /^language-[\w-]+$/]],
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
          box.properties = { ...box.properties, ariaLabel: label ? `Task: ${label}` : "Task", disabled: true };
        }
      }
      walk(child);
    }
  };
  return (tree: HastNode) => walk(tree);
}

function languageOf(node: unknown): string | null {
  const first = (node as { children?: { properties?: { className?: unknown } }[] } | undefined)?.children?.[0];
  const classes = first?.properties?.className;
  if (!Array.isArray(classes)) return null;
  for (const c of classes) {
    if (typeof c === "string" && c.startsWith("language-")) return c.slice("language-".length);
  }
  return null;
}

function CodeBlock({ node, children }: ComponentPropsWithoutRef<"pre"> & { node?: unknown }) {
  const ref = useRef<HTMLPreElement>(null);
  const language = languageOf(node);
  return (
    <div className="not-prose overflow-hidden rounded-lg border border-line bg-code">
      <div className="flex items-center justify-between border-b border-line px-3 py-1">
        <span className="font-mono text-xs text-muted">{language ?? "code"}</span>
        <CopyButton getText={() => ref.current?.textContent ?? ""} label="Copy code" />
      </div>
      <pre ref={ref} tabIndex={0} className="overflow-x-auto p-3 font-mono text-[0.85rem] leading-relaxed">
        {children}
      </pre>
    </div>
  );
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
  pre: CodeBlock,
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

export const Markdown = memo(function Markdown({ text, className = "" }: { text: string; className?: string }) {
  return (
    <div className={`prose-chat ${className}`}>
      <ReactMarkdown
        remarkPlugins={[remarkGfm, remarkHtmlAsText]}
        rehypePlugins={[[rehypeSanitize, schema], rehypeLabelTasks, [rehypeHighlight, { detect: false }]]}
        components={components}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
});
