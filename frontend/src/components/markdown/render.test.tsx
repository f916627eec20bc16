import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { installSvgLayout } from "@/test/svgLayout";
import { Markdown } from "../Markdown";
import { renderDiagram, sanitise } from "./mermaidRender";

beforeAll(() => installSvgLayout());

function html(text: string): HTMLElement {
  return render(<Markdown text={text} />).container;
}

/** Everything a hostile answer could use to run code, anywhere in `root`. */
function dangerous(root: ParentNode): string[] {
  const found: string[] = [];
  for (const el of root.querySelectorAll("*")) {
    const tag = el.localName.toLowerCase();
    if (["script", "foreignobject", "iframe", "object", "embed"].includes(tag)) found.push(`<${tag}>`);
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith("on")) found.push(`${tag}[${attr.name}]`);
      if (/^\s*(javascript|data|vbscript):/i.test(attr.value) && attr.name !== "src") found.push(`${tag}[${attr.name}=${attr.value}]`);
    }
  }
  return found;
}

function svgOf(src: string): Document {
  expect(src.startsWith("data:image/svg+xml;charset=utf-8,")).toBe(true);
  const xml = decodeURIComponent(src.slice(src.indexOf(",") + 1));
  return new DOMParser().parseFromString(xml, "image/svg+xml");
}

describe("math", () => {
  it("renders inline and display formulas with KaTeX (HTML and MathML)", async () => {
    const c = html("Euler: \\(e^{i\\pi} + 1 = 0\\)\n\n$$\n\\int_0^1 x^2\\,dx = \\frac{1}{3}\n$$");
    await waitFor(() => expect(c.querySelectorAll(".katex")).toHaveLength(2));
    expect(c.querySelector("[data-math=inline] .katex math")).not.toBeNull();
    expect(c.querySelector("[data-math=display] .katex-display")).not.toBeNull();
    expect(c.querySelector("[data-math=display] annotation")?.textContent).toContain("\\frac{1}{3}");
    expect(c.textContent).not.toContain("$$");
  });

  it("shows invalid TeX as its source, saying why", async () => {
    const c = html("bad: $\\frac{1}{$ ok");
    // `$\frac{1}{$` is not math under Pandoc's rule either way; force a real parse error:
    const d = html("$$\n\\frac{1}{\n$$");
    await waitFor(() => expect(d.querySelector("[data-math-source=display]")).toHaveAttribute("title"));
    expect(d.querySelector(".katex")).toBeNull();
    expect(d.textContent).toContain("\\frac{1}{");
    expect(c.querySelector(".katex")).toBeNull();
  });

  it("keeps prices as text", () => {
    const c = html("It costs $5 and $10.");
    expect(c.querySelector("[data-math], [data-math-source]")).toBeNull();
    expect(c.textContent).toBe("It costs $5 and $10.");
  });

  it("a hostile formula gets no link, script, handler or style element", async () => {
    const c = html(
      [
        "$$\\href{javascript:alert(1)}{click}$$",
        "$$\\url{javascript:alert(2)}$$",
        "$$\\htmlId{x}{\\htmlData{onclick=alert(3)}{y}}$$",
        "$$\\includegraphics{https://evil.example/x.png}$$",
        "$$\\text{<img src=x onerror=alert(4)>}$$",
      ].join("\n\n"),
    );
    await waitFor(() => expect(c.querySelectorAll("[data-math], [data-math-source]")).toHaveLength(5));
    await waitFor(() => expect(c.querySelectorAll("[data-math]").length).toBeGreaterThan(0));
    expect(c.querySelectorAll("a, img, style, script")).toHaveLength(0);
    expect(dangerous(c)).toEqual([]);
  });
});

describe("mermaid diagrams", () => {
  it("draws a diagram as an SVG image with a readable alternative and its source", async () => {
    const c = html("```mermaid\nflowchart LR\n  accTitle: Release flow\n  A[Build] --> B[Test] --> C[Ship]\n```");
    const img = await screen.findByRole("img", { name: "Release flow" }, { timeout: 10_000 });
    const svg = svgOf(img.getAttribute("src") ?? "");
    expect(svg.documentElement.localName).toBe("svg");
    expect(svg.querySelectorAll("text, tspan").length).toBeGreaterThan(0);
    expect(svg.documentElement.textContent).toContain("Ship");
    expect(c.querySelector("[data-testid=diagram]")).toHaveAttribute("data-status", "done");
    expect(screen.getByText("Diagram source")).toBeInTheDocument();
    // The live page holds an <img>, never the diagram's own markup.
    expect(c.querySelector("svg")).toBeNull();
  }, 20_000);

  it("a malicious diagram keeps no script, handler, foreignObject or javascript: URL", async () => {
    const hostile = [
      '%%{init: {"securityLevel": "loose", "htmlLabels": true, "flowchart": {"htmlLabels": true}, "themeCSS": "* { background: url(https://evil.example/x) }"}}%%',
      "flowchart LR",
      '  A["<img src=x onerror=alert(1)>"] --> B["<script>alert(2)</script>"]',
      '  B --> C["<a href=\'javascript:alert(3)\'>go</a>"]',
      '  click A href "javascript:alert(4)"',
      "  click B call alert(5)",
      "  style C fill:#f00,stroke:#0f0",
    ].join("\n");
    const alert = vi.spyOn(window, "alert").mockImplementation(() => undefined);
    const drawn = await renderDiagram(hostile, "light");
    const svg = svgOf(drawn.src);
    expect(dangerous(svg)).toEqual([]);
    expect(svg.querySelectorAll("foreignObject, a, script")).toHaveLength(0);
    expect(decodeURIComponent(drawn.src)).not.toMatch(/javascript:|onerror|evil\.example/i);
    expect(alert).not.toHaveBeenCalled();
  }, 20_000);

  it("the SVG sanitiser removes what Mermaid might ever let through", () => {
    const svg = sanitise(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)">' +
        "<script>alert(2)</script><style>.n{fill:red}</style>" +
        '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(3)"/></div></foreignObject>' +
        '<a href="javascript:alert(4)"><text x="1" y="5">go</text></a>' +
        '<use href="https://evil.example/s.svg#x"/><use href="#local"/>' +
        '<image href="https://evil.example/t.png"/><animate attributeName="href" to="javascript:alert(5)"/>' +
        '<g id="local" onclick="alert(6)"><rect width="5" height="5" class="n"/></g></svg>',
    );
    expect(svg).not.toBeNull();
    const markup = new XMLSerializer().serializeToString(svg!);
    expect(dangerous(svg!)).toEqual([]);
    expect(markup).not.toMatch(/alert|javascript:|evil\.example|foreignObject|<script|<image|<animate/i);
    expect(svg!.querySelector("rect")).not.toBeNull(); // the drawing itself is kept
    expect(svg!.querySelector("style")?.textContent).toContain("fill:red");
  });

  it("a diagram that is not valid shows its source and says so", async () => {
    const c = html("```mermaid\nflowchart LR\n  A --> --> -->\n```");
    await waitFor(() => expect(c.querySelector("[data-testid=diagram]")).toHaveAttribute("data-status", "failed"), { timeout: 10_000 });
    expect(c.textContent).toContain("could not be drawn");
    expect(c.textContent).toContain("A --> --> -->");
    expect(c.querySelector("img")).toBeNull();
  }, 20_000);

  it("refuses a diagram over the size limit without drawing it", async () => {
    await expect(renderDiagram(`flowchart LR\n${"  A --> B\n".repeat(3000)}`, "light")).rejects.toThrow();
  });
});

describe("code blocks", () => {
  it("show their language, copy the code as written and toggle wrapping", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    Object.defineProperty(window, "isSecureContext", { value: true, configurable: true });
    const c = html("```python\nprint('a very long line that should wrap')\n```");
    expect(screen.getByTestId("code-language")).toHaveTextContent("python");
    const pre = c.querySelector("pre")!;
    expect(pre).toHaveAccessibleName("python");
    const wrap = screen.getByRole("button", { name: "Wrap lines" });
    expect(wrap).toHaveAttribute("aria-pressed", "false");
    expect(pre).not.toHaveClass("code-wrap");
    fireEvent.click(wrap);
    expect(wrap).toHaveAttribute("aria-pressed", "true");
    expect(pre).toHaveClass("code-wrap");
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Copy code" })));
    expect(writeText).toHaveBeenCalledWith("print('a very long line that should wrap')");
    expect(await screen.findByText("Copied")).toBeInTheDocument();
  });

  it("a block without a language says 'code'", () => {
    html("```\nplain\n```");
    expect(screen.getByTestId("code-language")).toHaveTextContent("code");
  });
});

describe("task lists", () => {
  it("are labelled, read-only checkboxes", () => {
    html("- [x] write tests\n- [ ] ship");
    const done = screen.getByRole("checkbox", { name: "Task: write tests" });
    expect(done).toBeChecked();
    expect(done).toBeDisabled();
    expect(screen.getByRole("checkbox", { name: "Task: ship" })).not.toBeChecked();
  });
});
