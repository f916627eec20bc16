"use client";

import { useId } from "react";
import { msg } from "@/lib/messages";
import { type ThemePreference, useTheme } from "@/lib/theme";

const CHOICES: ThemePreference[] = ["system", "light", "dark"];

/** System / light / dark, remembered in this browser (see lib/theme.ts). */
export function ThemeToggle() {
  const id = useId();
  const { preference, choose } = useTheme();
  return (
    <span className="flex items-center">
      <label htmlFor={id} className="sr-only">
        {msg.theme.label}
      </label>
      <select
        id={id}
        value={preference}
        onChange={(e) => choose(e.target.value as ThemePreference)}
        data-testid="theme-select"
        className="rounded-md border border-field bg-bg px-1.5 py-1 text-sm"
      >
        {CHOICES.map((c) => (
          <option key={c} value={c}>
            {msg.theme[c]}
          </option>
        ))}
      </select>
    </span>
  );
}
