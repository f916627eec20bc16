"use client";

import { useEffect, useState } from "react";
import { api } from "@/api/client";
import type { Model } from "@/api/types";

const KEY = "lockgate.model"; // a preference, nothing secret

export function useModels(kind: Model["kind"] = "chat") {
  const [models, setModels] = useState<Model[]>([]);
  const [selected, setSelectedState] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api()
      .GET("/api/v1/models")
      .then(({ data }) => {
        if (!live || !data) return;
        const list = data.items.filter((m) => m.kind === kind);
        setModels(list);
        const saved = kind === "chat" ? window.localStorage.getItem(KEY) : null;
        const pick =
          list.find((m) => m.id === saved) ?? list.find((m) => m.default) ?? list[0] ?? null;
        setSelectedState(pick?.id ?? null);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [kind]);

  function setSelected(id: string) {
    setSelectedState(id);
    if (kind === "chat") window.localStorage.setItem(KEY, id);
  }

  return { models, selected, setSelected, byId: (id: string | null) => models.find((m) => m.id === id) ?? null };
}

/** Every configured model, of every kind (what a key may be allowed to call); empty until read or
 * if the read fails — the key forms still work, "every model" needs no list. */
export function useAllModels(): Model[] {
  const [models, setModels] = useState<Model[]>([]);
  useEffect(() => {
    let live = true;
    api()
      .GET("/api/v1/models")
      .then(({ data }) => {
        if (live && data) setModels(data.items);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return models;
}
