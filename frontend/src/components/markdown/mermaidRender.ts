/**
 * Mermaid, loaded only when an answer has a diagram (see Diagram.tsx), and drawn so that nothing
 * in a diagram can run:
 *
 * 1. Mermaid itself runs with `securityLevel: "strict"` (labels are sanitised, `click` and
 *    callbacks are off) and `htmlLabels: false` (SVG text, no <foreignObject> HTML); a diagram's
 *    own `%%{init}%%` / front matter cannot change those, the theme or the CSS (`secure`).
 * 2. The SVG it returns is sanitised (DOMPurify, SVG profile; <foreignObject>, <script>, links,
 *    event handlers and any non-fragment href removed) and serialised as XML.
 * 3. The page shows it as an <img> (a data: URL): an SVG image has no script, no events, no
 *    links and loads nothing, whatever its markup says. It never joins the live document.
 *
 * Mermaid must be 11.10.0 or later (CVE-2025-54880: unsanitised architecture-diagram labels);
 * package.json pins an exact, fixed version.
 */
import createDOMPurify from "dompurify";
import mermaid from "mermaid";

export const MAX_DIAGRAM_CHARS = 20_000;
// Keys a diagram may not override through directives or front matter.
const SECURE_KEYS = [
  "secure",
  "securityLevel",
  "startOnLoad",
  "maxTextSize",
  "maxEdges",
  "suppressErrorRendering",
  "htmlLabels",
  "flowchart",
  "theme",
  "themeCSS",
  "themeVariables",
  "fontFamily",
  "dompurifyConfig",
  "elk",
];

export interface RenderedDiagram {
  /** A data: URL of the sanitised SVG. */
  src: string;
  width: number;
  height: number;
  /** The diagram's type ("flowchart-v2", "sequence", …). */
  kind: string;
  /** accTitle / accDescr, if the diagram has them. */
  title: string | null;
  description: string | null;
}

export class DiagramTooLarge extends Error {}

let counter = 0;
// mermaid.render keeps global state (its config, a scratch element): one render at a time.
let queue: Promise<unknown> = Promise.resolve();

const purifier = createDOMPurify(window);
purifier.addHook("uponSanitizeAttribute", (_node, data) => {
  const name = data.attrName.toLowerCase();
  if ((name === "href" || name === "xlink:href") && !data.attrValue.trim().startsWith("#")) data.keepAttr = false;
  if (name.startsWith("on")) data.keepAttr = false;
});

/** The SVG, sanitised, as an element outside the page (exported for the tests). */
export function sanitise(svg: string): SVGSVGElement | null {
  const fragment = purifier.sanitize(svg, {
    USE_PROFILES: { svg: true, svgFilters: true },
    ADD_TAGS: ["style"],
    FORBID_TAGS: ["foreignObject", "script", "a", "iframe", "image", "animate", "set", "animateTransform", "animateMotion"],
    RETURN_DOM_FRAGMENT: true,
  });
  const root = fragment.firstElementChild;
  return root instanceof SVGSVGElement || root?.localName === "svg" ? (root as SVGSVGElement) : null;
}

function size(svg: SVGSVGElement): { width: number; height: number } {
  const box = (svg.getAttribute("viewBox") ?? "").split(/[\s,]+/).map(Number);
  const width = Math.ceil(box[2] ?? 0) || 600;
  const height = Math.ceil(box[3] ?? 0) || 400;
  return { width, height };
}

async function renderNow(code: string, theme: "light" | "dark"): Promise<RenderedDiagram> {
  mermaid.initialize({
    startOnLoad: false,
    securityLevel: "strict",
    htmlLabels: false,
    flowchart: { htmlLabels: false },
    theme: theme === "dark" ? "dark" : "default",
    maxTextSize: MAX_DIAGRAM_CHARS,
    maxEdges: 500,
    deterministicIds: true,
    suppressErrorRendering: true,
    secure: SECURE_KEYS,
  });
  const parsed = await mermaid.parse(code);
  if (!parsed) throw new Error("not a diagram");
  const id = `lg-diagram-${++counter}`;
  const { svg } = await mermaid.render(id, code);
  const root = sanitise(svg);
  if (!root) throw new Error("the diagram produced no SVG");
  const { width, height } = size(root);
  root.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  root.setAttribute("width", String(width));
  root.setAttribute("height", String(height));
  root.removeAttribute("style");
  const title = root.querySelector("title")?.textContent?.trim() || null;
  const description = root.querySelector("desc")?.textContent?.trim() || null;
  const xml = new XMLSerializer().serializeToString(root);
  return {
    src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(xml)}`,
    width,
    height,
    kind: parsed.diagramType,
    title,
    description,
  };
}

/** Draw `code` as a sanitised SVG image; throws for a diagram Mermaid cannot parse. */
export function renderDiagram(code: string, theme: "light" | "dark"): Promise<RenderedDiagram> {
  if (code.length > MAX_DIAGRAM_CHARS) return Promise.reject(new DiagramTooLarge());
  const next = queue.then(() => renderNow(code, theme));
  queue = next.catch(() => undefined);
  return next;
}
