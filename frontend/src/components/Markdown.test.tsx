import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { isExternal, linkTarget, Markdown } from "./Markdown";

function html(text: string): HTMLElement {
  const { container } = render(<Markdown text={text} />);
  return container;
}

describe("Markdown sanitising", () => {
  it("shows <script> as text and never creates a script element", () => {
    const c = html("Hello <script>window.__x=1</script> there");
    expect(c.querySelector("script")).toBeNull();
    expect(c.textContent).toContain("<script>window.__x=1</script>");
  });

  it("shows an onerror attribute as text and creates no img", () => {
    const c = html('<img src="x" onerror="alert(1)">');
    expect(c.querySelector("img")).toBeNull();
    expect(c.querySelector("[onerror]")).toBeNull();
    expect(c.textContent).toContain('onerror="alert(1)"');
  });

  it("drops javascript: and data: links, keeping their text", () => {
    const c = html("[click](javascript:alert(1)) [d](data:text/html;base64,PHNjcmlwdD4=) [v](vbscript:x)");
    expect(c.querySelectorAll("a")).toHaveLength(0);
    expect(c.textContent).toContain("click");
  });

  it("drops raw anchors with event handlers (raw HTML is text)", () => {
    const c = html('<a href="https://x.example" onclick="alert(1)">x</a>');
    expect(c.querySelector("a")).toBeNull();
    expect(c.querySelector("[onclick]")).toBeNull();
  });

  it("opens external links in a new tab without opener or referrer", () => {
    html("[site](https://example.com/a)");
    const link = screen.getByRole("link", { name: /site/ });
    expect(link).toHaveAttribute("href", "https://example.com/a");
    expect(link).toHaveAttribute("target", "_blank");
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
  });

  it("keeps same-site links in the tab", () => {
    html("[usage](/usage/)");
    const link = screen.getByRole("link", { name: "usage" });
    expect(link).not.toHaveAttribute("target");
  });

  it("turns images into links (no remote image loads)", () => {
    const c = html("![tracker](https://example.com/p.png)");
    expect(c.querySelector("img")).toBeNull();
    expect(screen.getByRole("link", { name: /image: tracker/ })).toHaveAttribute("rel", "noopener noreferrer");
  });
});

describe("Markdown rendering", () => {
  it("renders GFM tables, lists and task lists", () => {
    const c = html("| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n1. first\n\n- [x] done");
    expect(screen.getByRole("table")).toBeInTheDocument();
    expect(c.querySelectorAll("ul li").length).toBeGreaterThanOrEqual(3);
    expect(c.querySelector("ol li")).toHaveTextContent("first");
    expect(c.querySelector("input[type=checkbox]")).toBeChecked();
  });

  it("highlights fenced code and adds a copy button", () => {
    const c = html("```python\ndef f():\n    return 'x'\n```");
    const code = c.querySelector("pre code");
    expect(code?.className).toContain("hljs");
    expect(code?.className).toContain("language-python");
    expect(c.querySelector(".hljs-keyword")).toHaveTextContent("def");
    expect(screen.getByRole("button", { name: "Copy code" })).toBeInTheDocument();
    expect(screen.getByText("python")).toBeInTheDocument();
  });

  it("does not let a message choose arbitrary classes", () => {
    const c = html('```evil" onclick="x\ncode\n```');
    expect(c.querySelector("[onclick]")).toBeNull();
  });
});

describe("linkTarget", () => {
  const here = "http://127.0.0.1:8000";
  it.each([
    ["//evil.example/x", "https:"],
    ["/\\evil.example/x", "http:"],
    ["https:evil.example", "https:"],
    ["http://127.0.0.1:8001/", "http:"],
    ["https://127.0.0.1:8000/", "https:"],
  ])("sees %s as another site", (href) => {
    expect(linkTarget(href, here).kind).toBe("external");
  });
  it.each(["javascript:alert(1)", "data:text/html,x", "vbscript:x", "ftp://example.com/", "file:///etc/passwd", "blob:http://x/y"])(
    "refuses %s",
    (href) => {
      expect(linkTarget(href, here).kind).toBe("blocked");
    },
  );
  it("keeps paths and fragments here", () => {
    expect(linkTarget("/usage/?a=1#b", here)).toEqual({ kind: "internal", href: "/usage/?a=1#b" });
    expect(linkTarget("http://127.0.0.1:8000/x", here)).toEqual({ kind: "internal", href: "/x" });
    expect(linkTarget("#fn-1", here).kind).toBe("internal");
  });
  it("keeps mailto as a mail link", () => {
    expect(linkTarget("mailto:a@example.com", here).kind).toBe("mail");
  });
});

describe("external links in answers", () => {
  it("a protocol-relative link opens in a new tab, marked, without opener or referrer", () => {
    const c = html("[x](//evil.example)");
    const link = screen.getByRole("link", { name: /^x\s*\(opens in a new tab\)$/ });
    expect(link).toHaveAttribute("href", "http://evil.example/");
    expect(link).toHaveAttribute("target", "_blank");
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
    expect(c.querySelector(".external-mark")).toHaveTextContent("↗");
  });
  it("a backslash path stays on this site (markdown percent-encodes the backslash)", () => {
    html("[y](/\\evil.example/)");
    const link = screen.getByRole("link", { name: "y" });
    expect(link.getAttribute("href")).toBe("/%5Cevil.example/");
    expect(link).not.toHaveAttribute("target");
  });
});

describe("task lists", () => {
  it("names every checkbox after its item and makes it read-only", () => {
    html("- [x] buy milk\n- [ ] walk the dog\n  - [ ] nested one");
    const done = screen.getByRole("checkbox", { name: "Task: buy milk" });
    expect(done).toBeChecked();
    expect(done).toBeDisabled();
    expect(screen.getByRole("checkbox", { name: "Task: walk the dog" })).not.toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Task: nested one" })).toBeInTheDocument();
  });
});

describe("isExternal", () => {
  it("is true for other origins, false for relative and same-origin URLs", () => {
    expect(isExternal("https://example.com", "http://localhost:3000")).toBe(true);
    expect(isExternal("/usage/", "http://localhost:3000")).toBe(false);
    expect(isExternal("#fn-1", "http://localhost:3000")).toBe(false);
    expect(isExternal("http://localhost:3000/x", "http://localhost:3000")).toBe(false);
  });
});
