import { fireEvent, render, screen } from "@testing-library/react";
import { useRef, useState } from "react";
import { describe, expect, it, vi } from "vitest";
import { matchPrompts, type Prompt, slashQuery } from "@/hooks/usePrompts";
import { Composer } from "./Composer";
import { PromptMenu, usePromptMenu } from "./PromptMenu";

const at = "2026-12-01T00:00:00Z";
const PROMPTS: Prompt[] = [
  { id: "1", title: "Summarise", content: "Summarise in three bullets:", created_at: at, updated_at: at },
  { id: "2", title: "Translate to French", content: "Translate into French:", created_at: at, updated_at: at },
  { id: "3", title: "Review", content: "Review this code for bugs; translate comments too.", created_at: at, updated_at: at },
];

/** The composer and the `/` menu wired as ChatApp wires them. */
function Harness({ onSend }: { onSend: (text: string) => void }) {
  const [draft, setDraft] = useState("");
  const box = useRef<HTMLTextAreaElement>(null);
  const pick = (p: Prompt) => setDraft(p.content);
  const menu = usePromptMenu(slashQuery(draft), PROMPTS, pick);
  return (
    <>
      {menu.open ? (
        <PromptMenu listId={menu.control.listId} matches={menu.matches} active={menu.active} loading={false} hasAny onPick={pick} onHover={menu.setActive} />
      ) : null}
      <Composer ref={box} value={draft} onChange={setDraft} onSend={() => onSend(draft)} onStop={() => undefined} busy={false} menu={menu.open ? menu.control : null} />
    </>
  );
}

const box = () => screen.getByRole("textbox", { name: "Message" });
const type = (text: string) => fireEvent.change(box(), { target: { value: text } });
const press = (key: string) => fireEvent.keyDown(box(), { key });

describe("the / prompt menu", () => {
  it("opens on / in an empty composer, filters, and inserts the chosen prompt with the keyboard", () => {
    const onSend = vi.fn();
    render(<Harness onSend={onSend} />);
    expect(screen.queryByRole("listbox")).toBeNull();
    type("/");
    const list = screen.getByRole("listbox", { name: "Saved prompts" });
    expect(screen.getAllByRole("option")).toHaveLength(3);
    expect(box()).toHaveAttribute("aria-controls", list.id);

    type("/transl");
    // Title matches first, then text matches.
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual([
      expect.stringContaining("Translate to French"),
      expect.stringContaining("Review"),
    ]);
    press("ArrowDown");
    const second = screen.getAllByRole("option")[1]!;
    expect(second).toHaveAttribute("aria-selected", "true");
    expect(box()).toHaveAttribute("aria-activedescendant", second.id);
    press("Enter");
    expect(box()).toHaveValue("Review this code for bugs; translate comments too.");
    expect(onSend).not.toHaveBeenCalled(); // Enter inserted; it did not send
    expect(screen.queryByRole("listbox")).toBeNull();
  });

  it("Esc closes the menu and keeps the text as typed", () => {
    render(<Harness onSend={vi.fn()} />);
    type("/sum");
    press("Escape");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(box()).toHaveValue("/sum");
  });

  it("a click inserts a prompt", () => {
    render(<Harness onSend={vi.fn()} />);
    type("/");
    fireEvent.mouseDown(screen.getByRole("option", { name: /Summarise/ }));
    expect(box()).toHaveValue("Summarise in three bullets:");
  });

  it("says so when nothing matches, and Enter then sends the text as a message", () => {
    const onSend = vi.fn();
    render(<Harness onSend={onSend} />);
    type("/zzz");
    expect(screen.getByText("No saved prompt matches.")).toBeInTheDocument();
    press("Enter");
    expect(onSend).toHaveBeenCalledWith("/zzz");
  });
});

describe("slashQuery and matchPrompts", () => {
  it("only a lone slash command opens the menu", () => {
    expect(slashQuery("/")).toBe("");
    expect(slashQuery("/abc")).toBe("abc");
    expect(slashQuery("hello /abc")).toBeNull();
    expect(slashQuery("/abc\nmore")).toBeNull();
    expect(slashQuery("")).toBeNull();
  });
  it("matches case-insensitively, titles first", () => {
    expect(matchPrompts(PROMPTS, "REVIEW").map((p) => p.id)).toEqual(["3"]);
    expect(matchPrompts(PROMPTS, "").map((p) => p.id)).toEqual(["1", "2", "3"]);
  });
});
