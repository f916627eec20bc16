"use client";

import { useCallback, useEffect, useReducer, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import type { components } from "@/api/schema";
import type { Preset } from "@/lib/parameters";

export type PresetBody = components["schemas"]["PresetIn"];

export interface Presets {
  items: Preset[];
  error: AppError | null;
  create: (body: PresetBody) => Promise<AppError | null>;
  remove: (id: string) => Promise<AppError | null>;
}

type Action = { type: "loaded"; items: Preset[] } | { type: "saved"; preset: Preset } | { type: "removed"; id: string };

const byName = (a: Preset, b: Preset) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" });

/** The user's presets, by name, as the server lists them. */
export function presetsReducer(items: Preset[], action: Action): Preset[] {
  switch (action.type) {
    case "loaded":
      return [...action.items].sort(byName);
    case "saved":
      return [...items.filter((p) => p.id !== action.preset.id), action.preset].sort(byName);
    case "removed":
      return items.filter((p) => p.id !== action.id);
  }
}

export function usePresets(): Presets {
  const [items, dispatch] = useReducer(presetsReducer, []);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    let live = true;
    api()
      .GET("/api/v1/presets")
      .then(({ data, error: err, response }) => {
        if (!live) return;
        if (data) dispatch({ type: "loaded", items: data.items });
        else setError(fromResponse(response, err));
      })
      .catch((e: unknown) => live && setError(networkError(e)));
    return () => {
      live = false;
    };
  }, []);

  const create = useCallback(async (body: PresetBody) => {
    try {
      const { data, error: err, response } = await api().POST("/api/v1/presets", { body });
      if (!data) return fromResponse(response, err);
      dispatch({ type: "saved", preset: data });
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  const remove = useCallback(async (id: string) => {
    try {
      const { error: err, response } = await api().DELETE("/api/v1/presets/{preset_id}", { params: { path: { preset_id: id } } });
      if (!response.ok) return fromResponse(response, err);
      dispatch({ type: "removed", id });
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  return { items, error, create, remove };
}
