"use client";

import { useCallback, useEffect, useState } from "react";

/**
 * The colour theme: the user's choice (system, light or dark), remembered in this browser, and
 * applied as `data-theme` on <html>, which the colour variables in globals.css follow.
 *
 * public/theme-init.js applies the stored choice before the first paint (no flash); this module
 * keeps it current afterwards: a new choice, the system switching between light and dark, and
 * another tab choosing. The key holds a preference only, nothing about the account.
 */
export type ThemePreference = "system" | "light" | "dark";
export type Theme = "light" | "dark";

export const THEME_KEY = "lockgate.theme";
const CHANGED = "lockgate:theme";
const DARK_QUERY = "(prefers-color-scheme: dark)";

export function readPreference(): ThemePreference {
  try {
    const stored = window.localStorage.getItem(THEME_KEY);
    return stored === "light" || stored === "dark" ? stored : "system";
  } catch {
    return "system";
  }
}

function systemDark(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia(DARK_QUERY).matches;
}

export function resolveTheme(preference: ThemePreference, dark: boolean = systemDark()): Theme {
  return preference === "system" ? (dark ? "dark" : "light") : preference;
}

export function applyTheme(preference: ThemePreference): Theme {
  const theme = resolveTheme(preference);
  const root = document.documentElement;
  root.setAttribute("data-theme", theme);
  root.setAttribute("data-theme-preference", preference);
  return theme;
}

export function setPreference(preference: ThemePreference): void {
  try {
    if (preference === "system") window.localStorage.removeItem(THEME_KEY);
    else window.localStorage.setItem(THEME_KEY, preference);
  } catch {
    // storage blocked: the choice still holds for this page
  }
  applyTheme(preference);
  window.dispatchEvent(new Event(CHANGED));
}

/** The theme shown now ("light" or "dark"), kept current. */
export function currentTheme(): Theme {
  if (typeof document === "undefined") return "light";
  return document.documentElement.getAttribute("data-theme") === "dark" ? "dark" : "light";
}

export function useTheme(): { preference: ThemePreference; theme: Theme; choose: (p: ThemePreference) => void } {
  const [state, setState] = useState<{ preference: ThemePreference; theme: Theme }>({ preference: "system", theme: "light" });
  useEffect(() => {
    const sync = () => {
      const preference = readPreference();
      setState({ preference, theme: applyTheme(preference) });
    };
    sync();
    const media = typeof window.matchMedia === "function" ? window.matchMedia(DARK_QUERY) : null;
    const onStorage = (e: StorageEvent) => {
      if (e.key === THEME_KEY || e.key === null) sync();
    };
    media?.addEventListener("change", sync);
    window.addEventListener(CHANGED, sync);
    window.addEventListener("storage", onStorage);
    return () => {
      media?.removeEventListener("change", sync);
      window.removeEventListener(CHANGED, sync);
      window.removeEventListener("storage", onStorage);
    };
  }, []);
  const choose = useCallback((p: ThemePreference) => setPreference(p), []);
  return { ...state, choose };
}
