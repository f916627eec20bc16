/**
 * jsdom has no layout engine, so SVG text has no size; Mermaid measures every label. This gives
 * text a plausible size (8 px a character, 16 px a line) so Mermaid can lay a diagram out in
 * Vitest. The browser tests (e2e/render.spec.ts) draw diagrams with real layout.
 */
export function installSvgLayout(): void {
  const proto = window.SVGElement.prototype as unknown as Record<string, unknown>;
  const textWidth = (el: Element) => (el.textContent ?? "").length * 8;
  proto.getBBox = function getBBox(this: Element) {
    return { x: 0, y: 0, width: textWidth(this) || 10, height: 16 };
  };
  proto.getComputedTextLength = function getComputedTextLength(this: Element) {
    return textWidth(this);
  };
}
