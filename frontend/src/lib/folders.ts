/**
 * A user's folders as a pure reducer: listed by name whatever its case (as the server lists
 * them), changed locally as the server confirms each create, rename and delete.
 */
import type { components } from "@/api/schema";

export type Folder = components["schemas"]["FolderOut"];

export type FolderAction =
  | { type: "loaded"; items: Folder[] }
  | { type: "saved"; folder: Folder }
  | { type: "removed"; id: string };

export function byName(a: Folder, b: Folder): number {
  return a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) || (a.id < b.id ? -1 : 1);
}

export function foldersReducer(items: Folder[], action: FolderAction): Folder[] {
  switch (action.type) {
    case "loaded":
      return [...action.items].sort(byName);
    case "saved":
      return [...items.filter((f) => f.id !== action.folder.id), action.folder].sort(byName);
    case "removed":
      return items.filter((f) => f.id !== action.id);
  }
}
