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

export function isExternal(href: string, origin: string = typeof window === "undefined" ? "" : window.location.origin): boolean {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(href)) return false; // relative or fragment
  try {
    const url = new URL(href);
    return !(url.origin === origin && origin !== "");
  } catch {
    return true;
  }
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
  if (!href) return <span>{children}</span>;
  if (isExternal(href)) {
    return (
      <a href={href} target="_blank" rel="noopener noreferrer">
        {children}
        <span className="sr-only"> (opens in a new tab)</span>
      </a>
    );
  }
  return <a href={href}>{children}</a>;
}

const components: Components = {
  pre: CodeBlock,
  a: ({ href, children }) => <Link href={href}>{children}</Link>,
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
        rehypePlugins={[[rehypeSanitize, schema], [rehypeHighlight, { detect: false }]]}
        components={components}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
});
