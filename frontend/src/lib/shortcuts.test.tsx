import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ShortcutHelp } from "@/components/chat/ShortcutHelp";
import { useShortcuts, type ShortcutHandlers } from "@/hooks/useShortcuts";
import { type KeyLike, shortcutFor } from "./shortcuts";

const key = (k: Partial<KeyLike>): KeyLike => ({ key: "", code: "", ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...k });

describe("shortcutFor", () => {
  it.each([
    [{ key: "O", code: "KeyO", ctrlKey: true, shiftKey: true }, false, "newChat"],
    [{ key: "k", code: "KeyK", ctrlKey: true }, false, "search"],
    [{ key: "Escape", shiftKey: true }, true, "focusComposer"],
    [{ key: "Escape" }, true, "stop"],
    [{ key: "C", code: "KeyC", ctrlKey: true, shiftKey: true }, true, "copyLast"],
    [{ key: "?", code: "Slash", shiftKey: true }, false, "help"],
    [{ key: "/", code: "Slash", ctrlKey: true }, true, "help"],
  ] as const)("%j (typing: %s) is %s", (k, typing, action) => {
    expect(shortcutFor(key(k), typing, false)).toBe(action);
  });

  it("uses ⌘ rather than Ctrl on a Mac", () => {
    expect(shortcutFor(key({ key: "k", code: "KeyK", metaKey: true }), false, true)).toBe("search");
    expect(shortcutFor(key({ key: "k", code: "KeyK", ctrlKey: true }), false, true)).toBeNull();
  });

  it("leaves ? alone while typing, and plain letters and Ctrl+C always", () => {
    expect(shortcutFor(key({ key: "?", code: "Slash", shiftKey: true }), true, false)).toBeNull();
    expect(shortcutFor(key({ key: "c", code: "KeyC", ctrlKey: true }), false, false)).toBeNull();
    expect(shortcutFor(key({ key: "o", code: "KeyO" }), false, false)).toBeNull();
  });
});

function Harness({ handlers }: { handlers: ShortcutHandlers }) {
  useShortcuts(handlers);
  return <textarea aria-label="box" />;
}

describe("useShortcuts", () => {
  it("runs the handler and takes the key from the browser", () => {
    const newChat = vi.fn();
    render(<Harness handlers={{ newChat }} />);
    const event = new KeyboardEvent("keydown", { key: "O", code: "KeyO", ctrlKey: true, shiftKey: true, bubbles: true, cancelable: true });
    document.body.dispatchEvent(event);
    expect(newChat).toHaveBeenCalledOnce();
    expect(event.defaultPrevented).toBe(true);
  });

  it("leaves a key with no handler now (Esc with nothing to stop) to the browser", () => {
    render(<Harness handlers={{ stop: undefined }} />);
    const event = new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true });
    document.body.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(false);
  });

  it("types ? in a text box instead of opening the help", () => {
    const help = vi.fn();
    render(<Harness handlers={{ help }} />);
    fireEvent.keyDown(screen.getByRole("textbox", { name: "box" }), { key: "?", code: "Slash", shiftKey: true });
    expect(help).not.toHaveBeenCalled();
    fireEvent.keyDown(document.body, { key: "?", code: "Slash", shiftKey: true });
    expect(help).toHaveBeenCalledOnce();
  });
});

describe("the shortcut help", () => {
  it("is a labelled modal dialog listing every shortcut, closed by Esc, giving the focus back", () => {
    const opener = document.createElement("button");
    document.body.appendChild(opener);
    opener.focus();
    const onClose = vi.fn();
    const { unmount } = render(<ShortcutHelp onClose={onClose} />);
    const dialog = screen.getByRole("dialog", { name: "Keyboard shortcuts" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
    for (const name of ["New chat", "Search conversations", "Focus the message box", "Stop the answer being written", "Copy the last answer", "Show this help"]) {
      expect(screen.getByRole("rowheader", { name })).toBeInTheDocument();
    }
    expect(screen.getByRole("button", { name: "Close" })).toHaveFocus();
    fireEvent.keyDown(document, { key: "Escape" });
    expect(onClose).toHaveBeenCalledOnce();
    unmount();
    expect(opener).toHaveFocus();
    opener.remove();
  });
});
