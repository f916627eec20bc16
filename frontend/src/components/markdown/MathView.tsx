"use client";

import { useEffect, useState } from "react";
import { msg } from "@/lib/messages";

type Renderer = typeof import("./katexRender");
let loading: Promise<Renderer> | null = null;

/** KaTeX is loaded on first use: readers who never see math never download it. */
function loadKatex(): Promise<Renderer> {
  loading ??= import("./katexRender").catch((e: unknown) => {
    loading = null;
    throw e;
  });
  return loading;
}

/**
 * A formula, inline or displayed. Until KaTeX arrives (and if the TeX is invalid) the source is
 * shown as code, so nothing is ever lost or shown as raw markup.
 */
export function MathView({ tex, display }: { tex: string; display: boolean }) {
  const [state, setState] = useState<{ tex: string; html: string | null } | null>(null);
  useEffect(() => {
    let live = true;
    loadKatex()
      .then(({ renderMath }) => {
        if (live) setState({ tex, html: renderMath(tex, display) });
      })
      .catch(() => {
        if (live) setState({ tex, html: null });
      });
    return () => {
      live = false;
    };
  }, [tex, display]);

  const done = state?.tex === tex ? state : null;
  if (done?.html) {
    return display ? (
      // Scrolls sideways rather than overflowing a phone; focusable so the keyboard can scroll it.
      <div className="math-display" tabIndex={0} data-math="display" dangerouslySetInnerHTML={{ __html: done.html }} />
    ) : (
      <span className="math-inline" data-math="inline" dangerouslySetInnerHTML={{ __html: done.html }} />
    );
  }
  const failed = done !== null;
  const title = failed ? msg.math.invalid : undefined;
  return display ? (
    <pre className="math-source" data-math-source="display" title={title}>
      <code>{tex}</code>
    </pre>
  ) : (
    <code className="math-source" data-math-source="inline" title={title}>
      {tex}
    </code>
  );
}
