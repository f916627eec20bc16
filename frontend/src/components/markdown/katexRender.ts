/**
 * KaTeX, loaded only when an answer has math (see MathView). Its CSS and fonts are part of this
 * chunk, so they ship in the build and nothing is fetched from anywhere else at run time.
 *
 * KaTeX treats its input as untrusted here: `trust: false` refuses \href, \url, \includegraphics
 * and \html*, `maxExpand`/`maxSize` bound macro bombs and huge boxes, and the HTML it returns is
 * sanitised once more (DOMPurify, HTML + MathML) before it reaches the page.
 */
import DOMPurify from "dompurify";
import katex from "katex";
import "katex/dist/katex.min.css";

const OPTIONS = {
  throwOnError: true,
  trust: false,
  strict: "ignore",
  maxSize: 50,
  maxExpand: 1000,
  output: "htmlAndMathml",
} as const;

/** The formula as sanitised HTML, or null when it is not valid TeX (the caller shows the source). */
export function renderMath(tex: string, display: boolean): string | null {
  let html: string;
  try {
    html = katex.renderToString(tex, { ...OPTIONS, displayMode: display });
  } catch {
    return null;
  }
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true, mathMl: true },
    // <semantics>/<annotation> carry the TeX source for screen readers and copy (plain text);
    // <annotation-xml> (markup inside MathML) stays forbidden.
    ADD_TAGS: ["semantics", "annotation"],
    FORBID_TAGS: ["style", "script", "a", "img", "svg", "foreignObject", "annotation-xml"],
  });
}
