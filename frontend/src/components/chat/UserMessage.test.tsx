import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import type { Message } from "@/api/types";
import { message } from "@/test/factories";
import { UserMessage } from "./UserMessage";

function Harness({ shown, idle = true, onSave = vi.fn(), onSwitch = vi.fn() }: { shown: Message; idle?: boolean; onSave?: (text: string) => void; onSwitch?: (id: string) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <UserMessage
      message={shown}
      idle={idle}
      draft={draft}
      onEdit={() => setDraft(shown.content)}
      onDraft={setDraft}
      onCancel={() => setDraft(null)}
      onSave={() => onSave(draft ?? "")}
      onSwitch={onSwitch}
    />
  );
}

describe("UserMessage: editing", () => {
  it("opens an editor in place, focused, with the text", async () => {
    render(<Harness shown={message({ content: "hello" })} />);
    await userEvent.click(screen.getByRole("button", { name: "Edit message" }));
    const box = screen.getByRole("textbox", { name: "Edit your message" });
    expect(box).toHaveFocus();
    expect(box).toHaveValue("hello");
    expect(screen.getByRole("button", { name: "Save & send" })).toBeDisabled(); // unchanged
  });

  it("Enter saves and sends the new version", async () => {
    const onSave = vi.fn();
    render(<Harness shown={message({ content: "hello" })} onSave={onSave} />);
    await userEvent.click(screen.getByRole("button", { name: "Edit message" }));
    await userEvent.type(screen.getByRole("textbox", { name: "Edit your message" }), " there{Enter}");
    expect(onSave).toHaveBeenCalledWith("hello there");
  });

  it("Escape cancels and gives the focus back to Edit", async () => {
    const onSave = vi.fn();
    render(<Harness shown={message({ content: "hello" })} onSave={onSave} />);
    await userEvent.click(screen.getByRole("button", { name: "Edit message" }));
    await userEvent.type(screen.getByRole("textbox", { name: "Edit your message" }), "!{Escape}");
    expect(onSave).not.toHaveBeenCalled();
    expect(screen.queryByRole("textbox")).toBeNull();
    expect(screen.getByRole("button", { name: "Edit message" })).toHaveFocus();
  });

  it("cannot be edited while an answer is being written", () => {
    render(<Harness shown={message({ content: "hello" })} idle={false} />);
    expect(screen.queryByRole("button", { name: "Edit message" })).toBeNull();
  });
});

describe("UserMessage: versions", () => {
  it("shows ‹ n/m › and switches to the previous version", async () => {
    const older = message({ content: "v1" });
    const shown = message({ content: "v2" });
    shown.sibling_ids = [older.id, shown.id];
    const onSwitch = vi.fn();
    render(<Harness shown={shown} onSwitch={onSwitch} />);
    expect(screen.getByRole("group", { name: "Versions: 2 of 2" })).toBeInTheDocument();
    expect(screen.getByTestId("version-index")).toHaveTextContent("2 / 2");
    expect(screen.getByRole("button", { name: "Next version" })).toBeDisabled();
    await userEvent.click(screen.getByRole("button", { name: "Previous version" }));
    expect(onSwitch).toHaveBeenCalledWith(older.id);
  });

  it("shows no switcher for a message with one version", () => {
    render(<Harness shown={message({ content: "only" })} />);
    expect(screen.queryByRole("group")).toBeNull();
  });
});
