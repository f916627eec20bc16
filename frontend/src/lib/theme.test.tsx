import { act, fireEvent, render, screen } from "@testing-library/react";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ThemeToggle } from "@/components/ThemeToggle";
import { readPreference, resolveTheme, THEME_KEY } from "./theme";

function systemPrefersDark(dark: boolean) {
  const listeners = new Set<() => void>();
  const query = {
    get matches() {
      return dark;
    },
    addEventListener: (_: string, fn: () => void) => listeners.add(fn),
    removeEventListener: (_: string, fn: () => void) => listeners.delete(fn),
  };
  vi.spyOn(window, "matchMedia").mockImplementation(() => query as unknown as MediaQueryList);
  return (next: boolean) => {
    dark = next;
    for (const fn of listeners) fn();
  };
}

const root = () => document.documentElement;

beforeEach(() => {
  if (!window.matchMedia) Object.defineProperty(window, "matchMedia", { value: () => ({}), configurable: true, writable: true });
  localStorage.clear();
  root().removeAttribute("data-theme");
  root().removeAttribute("data-theme-preference");
});
afterEach(() => localStorage.clear());

describe("theme-init.js (runs before the first paint)", () => {
  const script = readFileSync(join(__dirname, "../../public/theme-init.js"), "utf8");
  const run = () => new Function(script)();

  it.each([
    [null, false, "light"],
    [null, true, "dark"],
    ["light", true, "light"],
    ["dark", false, "dark"],
    ["purple", true, "dark"],
  ])("stored %s with a dark system %s shows %s", (stored, dark, shown) => {
    systemPrefersDark(dark);
    if (stored) localStorage.setItem(THEME_KEY, stored);
    run();
    expect(root().getAttribute("data-theme")).toBe(shown);
  });

  it("agrees with lib/theme.ts on what a stored value means", () => {
    systemPrefersDark(true);
    for (const stored of ["light", "dark", "system", "bogus"]) {
      localStorage.setItem(THEME_KEY, stored);
      run();
      expect(root().getAttribute("data-theme")).toBe(resolveTheme(readPreference(), true));
    }
  });
});

describe("the theme toggle", () => {
  it("remembers the choice, applies it at once and forgets it for 'System'", () => {
    const setSystem = systemPrefersDark(false);
    render(<ThemeToggle />);
    const select = screen.getByRole("combobox", { name: "Theme" });
    expect(select).toHaveValue("system");
    expect(root().getAttribute("data-theme")).toBe("light");

    fireEvent.change(select, { target: { value: "dark" } });
    expect(localStorage.getItem(THEME_KEY)).toBe("dark");
    expect(root().getAttribute("data-theme")).toBe("dark");
    expect(select).toHaveValue("dark");

    fireEvent.change(select, { target: { value: "system" } });
    expect(localStorage.getItem(THEME_KEY)).toBeNull();
    expect(root().getAttribute("data-theme")).toBe("light");
    act(() => setSystem(true)); // the system switches: "System" follows it
    expect(root().getAttribute("data-theme")).toBe("dark");
  });

  it("starts from the stored choice (a reload keeps it)", () => {
    systemPrefersDark(false);
    localStorage.setItem(THEME_KEY, "dark");
    render(<ThemeToggle />);
    expect(screen.getByRole("combobox", { name: "Theme" })).toHaveValue("dark");
    expect(root().getAttribute("data-theme")).toBe("dark");
  });

  it("follows a choice made in another tab", () => {
    systemPrefersDark(false);
    render(<ThemeToggle />);
    localStorage.setItem(THEME_KEY, "dark");
    act(() => {
      window.dispatchEvent(new StorageEvent("storage", { key: THEME_KEY }));
    });
    expect(screen.getByRole("combobox", { name: "Theme" })).toHaveValue("dark");
  });
});
