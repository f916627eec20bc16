/**
 * The chat page's keyboard shortcuts, as data: the help overlay lists them and `shortcutFor`
 * decides which one a key press is. Letters are matched by `code` (the physical key), so a
 * keyboard layout or Option on a Mac does not change them; "Mod" is ⌘ on a Mac, Ctrl elsewhere.
 */
import { msg } from "./messages";

export type ShortcutAction = "newChat" | "search" | "focusComposer" | "stop" | "copyLast" | "help";

export interface KeyLike {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export interface Shortcut {
  action: ShortcutAction;
  label: string;
  /** Keys as shown, "Mod" standing for ⌘ or Ctrl. */
  keys: string[][];
}

export const SHORTCUTS: Shortcut[] = [
  { action: "newChat", label: msg.shortcuts.newChat, keys: [["Mod", "Shift", "O"]] },
  { action: "search", label: msg.shortcuts.search, keys: [["Mod", "K"]] },
  { action: "focusComposer", label: msg.shortcuts.focusComposer, keys: [["Shift", "Esc"]] },
  { action: "stop", label: msg.shortcuts.stop, keys: [["Esc"]] },
  { action: "copyLast", label: msg.shortcuts.copyLast, keys: [["Mod", "Shift", "C"]] },
  { action: "help", label: msg.shortcuts.help, keys: [["?"], ["Mod", "/"]] },
];

export function isMac(platform: string = typeof navigator === "undefined" ? "" : navigator.platform): boolean {
  return /mac|iphone|ipad|ipod/i.test(platform);
}

export function keyName(key: string, mac: boolean = isMac()): string {
  if (key === "Mod") return mac ? "⌘" : "Ctrl";
  return key;
}

/**
 * The shortcut a key press means, or null. `typing` is true when the focus is in a text field:
 * a bare `?` is then just a question mark, while the modified keys still work.
 */
export function shortcutFor(e: KeyLike, typing: boolean, mac: boolean = isMac()): ShortcutAction | null {
  const mod = mac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
  if (mod && !e.altKey) {
    if (e.shiftKey && e.code === "KeyO") return "newChat";
    if (e.shiftKey && e.code === "KeyC") return "copyLast";
    if (!e.shiftKey && e.code === "KeyK") return "search";
    if (e.code === "Slash" || e.key === "/") return "help";
    return null;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === "Escape") return e.shiftKey ? "focusComposer" : "stop";
  if (e.key === "?" && !typing) return "help";
  return null;
}

/** Whether the focus is somewhere a key press types text. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLInputElement) return !["checkbox", "radio", "button", "submit", "reset", "range", "color"].includes(target.type);
  return target instanceof HTMLSelectElement;
}
