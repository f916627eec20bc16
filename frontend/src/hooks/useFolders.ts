"use client";

import { useCallback, useEffect, useReducer, useState } from "react";
import { api } from "@/api/client";
import { type AppError, fromResponse, networkError } from "@/api/errors";
import { type Folder, foldersReducer } from "@/lib/folders";

export interface Folders {
  items: Folder[];
  error: AppError | null;
  /** Re-read the list (conversation counts change as chats are moved or archived). */
  refresh: () => Promise<void>;
  create: (name: string) => Promise<AppError | Folder>;
  rename: (id: string, name: string) => Promise<AppError | null>;
  /** Delete a folder; its conversations are kept, out of any folder. */
  remove: (id: string) => Promise<AppError | null>;
}

function isFolder(value: AppError | Folder): value is Folder {
  return "id" in value;
}

export { isFolder };

export function useFolders(): Folders {
  const [items, dispatch] = useReducer(foldersReducer, []);
  const [error, setError] = useState<AppError | null>(null);

  const refresh = useCallback(async () => {
    try {
      const { data, error: err, response } = await api().GET("/api/v1/folders");
      if (data) {
        dispatch({ type: "loaded", items: data.items });
        setError(null);
      } else setError(fromResponse(response, err));
    } catch (e) {
      setError(networkError(e));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const create = useCallback(async (name: string): Promise<AppError | Folder> => {
    try {
      const { data, error: err, response } = await api().POST("/api/v1/folders", { body: { name } });
      if (!data) return fromResponse(response, err);
      dispatch({ type: "saved", folder: data });
      return data;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  const rename = useCallback(async (id: string, name: string) => {
    try {
      const { data, error: err, response } = await api().PATCH("/api/v1/folders/{folder_id}", {
        params: { path: { folder_id: id } },
        body: { name },
      });
      if (!data) return fromResponse(response, err);
      dispatch({ type: "saved", folder: data });
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  const remove = useCallback(async (id: string) => {
    try {
      const { error: err, response } = await api().DELETE("/api/v1/folders/{folder_id}", {
        params: { path: { folder_id: id } },
      });
      if (!response.ok) return fromResponse(response, err);
      dispatch({ type: "removed", id });
      return null;
    } catch (e) {
      return networkError(e);
    }
  }, []);

  return { items, error, refresh, create, rename, remove };
}
