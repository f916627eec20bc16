import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import { Composer } from "./chat/Composer";

function Harness({ busy = false, onSend = vi.fn(), onStop = vi.fn() }) {
  const [value, setValue] = useState("");
  return <Composer value={value} onChange={setValue} onSend={onSend} onStop={onStop} busy={busy} />;
}

describe("Composer keyboard", () => {
  it("Enter sends", async () => {
    const onSend = vi.fn();
    render(<Harness onSend={onSend} />);
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "hello{Enter}");
    expect(onSend).toHaveBeenCalledOnce();
  });

  it("Shift+Enter adds a new line instead", async () => {
    const onSend = vi.fn();
    render(<Harness onSend={onSend} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await userEvent.type(box, "one{Shift>}{Enter}{/Shift}two");
    expect(onSend).not.toHaveBeenCalled();
    expect(box).toHaveValue("one\ntwo");
  });

  it("Enter does not send an empty message", async () => {
    const onSend = vi.fn();
    render(<Harness onSend={onSend} />);
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "   {Enter}");
    expect(onSend).not.toHaveBeenCalled();
  });

  it("Esc stops while an answer is being written; the button says Stop", async () => {
    const onStop = vi.fn();
    render(<Harness busy onStop={onStop} />);
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "{Escape}");
    expect(onStop).toHaveBeenCalledOnce();
    expect(screen.getByRole("button", { name: "Stop" })).toBeInTheDocument();
  });
});
