import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Conversation } from "@/api/types";
import type { Conversations } from "@/hooks/useConversations";
import type { Folders } from "@/hooks/useFolders";
import { Sidebar } from "./chat/Sidebar";

const TITLE = "A rather long conversation title about lighthouses";

function conversations(): Conversations {
  const item: Conversation = { id: "c1", title: TITLE, system_prompt: "", created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z" } as Conversation;
  return {
    items: [item],
    loading: false,
    error: null,
    query: "",
    setQuery: vi.fn(),
    hasMore: false,
    loadMore: vi.fn(async () => undefined),
    refresh: vi.fn(async () => undefined),
    rename: vi.fn(async () => null),
    remove: vi.fn(async () => null),
    touch: vi.fn(),
    view: { kind: "all" },
    setView: vi.fn(),
    update: vi.fn(async () => null),
    replace: vi.fn(),
  };
}

const folders: Folders = {
  items: [],
  error: null,
  refresh: vi.fn(async () => undefined),
  create: vi.fn(async () => ({ id: "f1", name: "f", conversation_count: 0, created_at: "", updated_at: "" })),
  rename: vi.fn(async () => null),
  remove: vi.fn(async () => null),
};

function setup() {
  render(<Sidebar conversations={conversations()} folders={folders} activeId={null} onOpen={vi.fn()} onNew={vi.fn()} onDeleted={vi.fn()} />);
  return screen.getByRole("button", { name: `Actions for “${TITLE}”` });
}

describe("Sidebar: rename and delete behind a menu", () => {
  it("shows no Rename/Delete buttons until the menu is opened", () => {
    setup();
    expect(screen.queryByRole("button", { name: /Rename|Delete/ })).toBeNull();
    expect(screen.queryByRole("menuitem")).toBeNull();
  });

  it("opens from the keyboard on the first item; arrows move; Escape closes and refocuses", async () => {
    const button = setup();
    button.focus();
    await userEvent.keyboard("{Enter}");
    expect(button).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByRole("menu")).toBeInTheDocument();
    expect(screen.getByRole("menuitem", { name: "Rename" })).toHaveFocus();
    await userEvent.keyboard("{End}");
    expect(screen.getByRole("menuitem", { name: "Delete" })).toHaveFocus();
    await userEvent.keyboard("{ArrowDown}");
    expect(screen.getByRole("menuitem", { name: "Rename" })).toHaveFocus();
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("menu")).toBeNull();
    expect(button).toHaveFocus();
  });

  it("Rename from the menu opens the title field", async () => {
    const button = setup();
    await userEvent.click(button);
    await userEvent.click(screen.getByRole("menuitem", { name: "Rename" }));
    expect(screen.getByRole("textbox", { name: "New title" })).toHaveValue(TITLE);
  });

  it("Delete from the menu asks to confirm", async () => {
    const button = setup();
    await userEvent.click(button);
    await userEvent.click(screen.getByRole("menuitem", { name: "Delete" }));
    expect(screen.getByRole("group", { name: "Confirm delete" })).toBeInTheDocument();
  });

  it("the full title is available on the row", () => {
    setup();
    expect(screen.getByRole("button", { name: new RegExp(`^${TITLE}`) })).toHaveAttribute("title", TITLE);
  });
});
