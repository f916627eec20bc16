import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import { Composer } from "./chat/Composer";

function Harness({ busy = false, onSend = vi.fn(), onStop = vi.fn(), withoutText = false }) {
  const [value, setValue] = useState("");
  return <Composer value={value} onChange={setValue} onSend={onSend} onStop={onStop} busy={busy} withoutText={withoutText} />;
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

  it("with an image attached, a message without text can be sent", async () => {
    const onSend = vi.fn();
    render(<Harness onSend={onSend} withoutText />);
    expect(screen.getByRole("button", { name: "Send" })).toBeEnabled();
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "{Enter}");
    expect(onSend).toHaveBeenCalledOnce();
  });

  it("Esc stops while an answer is being written; the button says Stop", async () => {
    const onStop = vi.fn();
    render(<Harness busy onStop={onStop} />);
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "{Escape}");
    expect(onStop).toHaveBeenCalledOnce();
    expect(screen.getByRole("button", { name: "Stop" })).toBeInTheDocument();
  });
});

describe("Composer length limit", () => {
  function Filled({ text, onSend }: { text: string; onSend: () => void }) {
    const [value, setValue] = useState(text);
    return <Composer value={value} onChange={setValue} onSend={onSend} onStop={vi.fn()} busy={false} maxChars={20} />;
  }

  it("shows no counter far from the limit", () => {
    render(<Filled text="short" onSend={vi.fn()} />);
    expect(screen.queryByTestId("char-count")).toBeNull();
  });

  it("counts near the limit", () => {
    render(<Filled text={"x".repeat(19)} onSend={vi.fn()} />);
    expect(screen.getByTestId("char-count")).toHaveTextContent("19 / 20 characters");
    expect(screen.getByRole("button", { name: "Send" })).toBeEnabled();
  });

  it("over the limit: says so in words and does not send (button or Enter)", async () => {
    const onSend = vi.fn();
    render(<Filled text={"x".repeat(25)} onSend={onSend} />);
    expect(screen.getByTestId("char-count")).toHaveTextContent("5 characters over the limit of 20. Shorten your message to send it.");
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    const box = screen.getByRole("textbox", { name: "Message" });
    expect(box).toHaveAttribute("aria-invalid", "true");
    await userEvent.type(box, "{Enter}");
    expect(onSend).not.toHaveBeenCalled();
  });
});
