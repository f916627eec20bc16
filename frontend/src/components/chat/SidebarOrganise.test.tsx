import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Conversation } from "@/api/types";
import type { Conversations } from "@/hooks/useConversations";
import type { Folders } from "@/hooks/useFolders";
import type { View } from "@/lib/conversationList";
import { Sidebar } from "./Sidebar";

const base = { system_prompt: "", created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z", folder_id: null, archived_at: null, pinned: false };

function setup(items: Partial<Conversation>[], view: View = { kind: "all" }) {
  const conversations: Conversations = {
    items: items.map((c, i) => ({ ...base, id: `c${i}`, title: `chat ${i}`, ...c }) as Conversation),
    loading: false,
    error: null,
    query: "",
    setQuery: vi.fn(),
    view,
    setView: vi.fn(),
    hasMore: false,
    loadMore: vi.fn(async () => undefined),
    refresh: vi.fn(async () => undefined),
    rename: vi.fn(async () => null),
    update: vi.fn(async () => null),
    remove: vi.fn(async () => null),
    touch: vi.fn(),
    replace: vi.fn(),
  };
  const folders: Folders = {
    items: [
      { id: "f1", name: "Work", conversation_count: 2, created_at: "", updated_at: "" },
      { id: "f2", name: "Travel", conversation_count: 0, created_at: "", updated_at: "" },
    ],
    error: null,
    refresh: vi.fn(async () => undefined),
    create: vi.fn(async (name: string) => ({ id: "f3", name, conversation_count: 0, created_at: "", updated_at: "" })),
    rename: vi.fn(async () => null),
    remove: vi.fn(async () => null),
  };
  render(<Sidebar conversations={conversations} folders={folders} activeId={null} onOpen={vi.fn()} onNew={vi.fn()} onDeleted={vi.fn()} />);
  return { conversations, folders };
}

async function menu(title: string) {
  await userEvent.click(screen.getByRole("button", { name: `Actions for “${title}”` }));
}

describe("Sidebar: folders, pins and archive", () => {
  it("the menu pins a chat and refreshes the folder counts", async () => {
    const { conversations, folders } = setup([{ title: "notes" }]);
    await menu("notes");
    expect(screen.getAllByRole("menuitem").map((i) => i.textContent)).toEqual(["Rename", "Pin", "Move to folder…", "Archive", "Delete"]);
    await userEvent.click(screen.getByRole("menuitem", { name: "Pin" }));
    expect(conversations.update).toHaveBeenCalledWith("c0", { pinned: true });
    expect(folders.refresh).toHaveBeenCalled();
  });

  it("a pinned chat says so to screen readers and offers Unpin", async () => {
    setup([{ title: "notes", pinned: true }]);
    expect(screen.getByRole("button", { name: /^Pinned:\s?notes/ })).toBeInTheDocument();
    await menu("notes");
    expect(screen.getByRole("menuitem", { name: "Unpin" })).toBeInTheDocument();
  });

  it("moves a chat to a folder chosen from the user's folders", async () => {
    const { conversations } = setup([{ title: "notes" }]);
    await menu("notes");
    await userEvent.click(screen.getByRole("menuitem", { name: "Move to folder…" }));
    const select = screen.getByRole("combobox", { name: "Move “notes” to" });
    expect(select).toHaveFocus();
    expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual(["No folder", "Work", "Travel"]);
    await userEvent.selectOptions(select, "Travel");
    await userEvent.click(screen.getByRole("button", { name: "Move" }));
    expect(conversations.update).toHaveBeenCalledWith("c0", { folder_id: "f2" });
  });

  it("in the archive, the menu restores instead of archiving", async () => {
    const { conversations } = setup([{ title: "old", archived_at: "2025-02-01T00:00:00Z" }], { kind: "archived" });
    expect(screen.getByTestId("list-heading")).toHaveTextContent("Archived");
    await menu("old");
    await userEvent.click(screen.getByRole("menuitem", { name: "Restore" }));
    expect(conversations.update).toHaveBeenCalledWith("c0", { archived: false });
  });

  it("the views are buttons; the current one is marked; a folder shows its count", async () => {
    const { conversations } = setup([], { kind: "folder", id: "f1" });
    const work = screen.getByRole("button", { name: "Work, 2 chats" });
    expect(work).toHaveAttribute("aria-current", "true");
    expect(screen.getByText("No conversations in this folder.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Archived" }));
    expect(conversations.setView).toHaveBeenCalledWith({ kind: "archived" });
  });

  it("creates a folder from the keyboard", async () => {
    const { folders } = setup([]);
    await userEvent.click(screen.getByRole("button", { name: "+ New folder" }));
    const input = screen.getByRole("textbox", { name: "Folder name" });
    expect(input).toHaveFocus();
    await userEvent.type(input, "Recipes{Enter}");
    expect(folders.create).toHaveBeenCalledWith("Recipes");
    expect(screen.queryByRole("textbox", { name: "Folder name" })).toBeNull();
  });

  it("deleting a folder asks first and says its chats are kept", async () => {
    const { folders } = setup([]);
    await menu("Work");
    await userEvent.click(screen.getByRole("menuitem", { name: "Delete" }));
    const confirm = screen.getByRole("group", { name: "Confirm folder delete" });
    expect(confirm).toHaveTextContent("Its chats are kept.");
    await userEvent.click(within(confirm).getByRole("button", { name: "Delete folder" }));
    expect(folders.remove).toHaveBeenCalledWith("f1");
  });
});
