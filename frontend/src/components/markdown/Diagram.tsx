"use client";

import { useEffect, useState } from "react";
import { msg } from "@/lib/messages";
import { currentTheme, useTheme } from "@/lib/theme";
import type { RenderedDiagram } from "./mermaidRender";

type Renderer = typeof import("./mermaidRender");
let loading: Promise<Renderer> | null = null;

/** Mermaid (a large library) is fetched on first use: the chat page does not carry it. */
function loadMermaid(): Promise<Renderer> {
  loading ??= import("./mermaidRender").catch((e: unknown) => {
    loading = null;
    throw e;
  });
  return loading;
}

// While an answer streams, its diagram changes with every token: draw once it settles.
const SETTLE_MS = 250;
const MAX_CHARS = 20_000;

type State =
  | { status: "loading" }
  | { status: "done"; key: string; diagram: RenderedDiagram }
  | { status: "failed"; key: string; reason: string };

/**
 * A Mermaid diagram drawn as an inert image (see mermaidRender.ts), with its source one click
 * away. A diagram that cannot be drawn shows its source and says why; it is never an error.
 */
export function Diagram({ code }: { code: string }) {
  const { theme: chosen } = useTheme();
  const [state, setState] = useState<State>({ status: "loading" });
  const theme = typeof document === "undefined" ? chosen : currentTheme();
  const key = `${theme}\u0000${code}`;

  useEffect(() => {
    let live = true;
    if (code.length > MAX_CHARS) {
      setState({ status: "failed", key, reason: msg.diagram.tooLarge(MAX_CHARS) });
      return;
    }
    const timer = setTimeout(() => {
      loadMermaid()
        .then(({ renderDiagram }) => renderDiagram(code, theme))
        .then((diagram) => {
          if (live) setState({ status: "done", key, diagram });
        })
        .catch(() => {
          if (live) setState({ status: "failed", key, reason: msg.diagram.failed });
        });
    }, SETTLE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [code, theme, key]);

  const current = state.status !== "loading" && state.key === key ? state : null;
  const source = (
    <pre className="overflow-x-auto p-3 font-mono text-[0.85rem]" tabIndex={0}>
      <code>{code}</code>
    </pre>
  );
  if (current?.status === "done") {
    const { diagram } = current;
    const alt = diagram.title ?? (diagram.kind ? msg.diagram.alt(diagram.kind) : msg.diagram.altUnknown);
    return (
      <figure className="diagram not-prose rounded-lg border border-line bg-bg p-2" data-testid="diagram" data-status="done">
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img src={diagram.src} alt={alt} width={diagram.width} height={diagram.height} />
        {diagram.description ? <figcaption className="sr-only">{diagram.description}</figcaption> : null}
        <details className="mt-1">
          <summary>{msg.diagram.source}</summary>
          {source}
        </details>
      </figure>
    );
  }
  return (
    <div
      className="diagram not-prose overflow-hidden rounded-lg border border-line bg-code"
      data-testid="diagram"
      data-status={current ? "failed" : "loading"}
    >
      <p className="border-b border-line px-3 py-1 text-xs text-muted" role={current ? "note" : "status"}>
        {current?.status === "failed" ? current.reason : msg.diagram.loading}
      </p>
      {source}
    </div>
  );
}
