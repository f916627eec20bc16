import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { draftsReducer, initialDrafts } from "@/lib/attachments";
import { AttachButton, AttachmentTray, ImageDropZone, MessageImagesView } from "./Attachments";

function file(name: string, type: string): File {
  return new File([new Uint8Array([1, 2, 3])], name, { type });
}

describe("AttachmentTray", () => {
  it("shows each preview with its state and a labelled remove button", async () => {
    let state = draftsReducer(initialDrafts, { type: "added", key: "a", name: "cat.png", preview: "" });
    state = draftsReducer(state, { type: "added", key: "c", name: "dog.png", preview: "" });
    state = draftsReducer(state, { type: "uploaded", key: "c", attachment: { id: "x", name: "dog.png", mime_type: "image/png", byte_size: 3, width: 4, height: 3, conversation_id: null, created_at: "", url: "/api/v1/attachments/x/content" } });
    state = draftsReducer(state, { type: "refused", key: "b", name: "doc.pdf", preview: "", error: "Only PNG, JPEG, GIF and WebP images can be attached." });
    const onRemove = vi.fn();
    render(<AttachmentTray state={state} onRemove={onRemove} blocker={null} />);
    // Text and alt queries: role queries over the whole tray are slow on a loaded machine.
    expect(screen.getByAltText("dog.png")).toHaveAttribute("src", "/api/v1/attachments/x/content");
    expect(screen.queryByAltText("cat.png")).toBeNull(); // not uploaded yet
    expect(screen.getByText("Uploading…")).toHaveAttribute("role", "status");
    expect(screen.getByText(/Only PNG, JPEG, GIF and WebP/)).toHaveAttribute("role", "alert");
    await userEvent.click(screen.getByLabelText("Remove doc.pdf"));
    expect(onRemove).toHaveBeenCalledWith("b");
  });

  it("says why the message cannot be sent", () => {
    const state = draftsReducer(initialDrafts, { type: "added", key: "a", name: "cat.png", preview: "blob:a" });
    render(<AttachmentTray state={state} onRemove={vi.fn()} blocker="Text only cannot see images." />);
    expect(screen.getByTestId("attachment-blocker")).toHaveTextContent("Text only cannot see images.");
  });

  it("is absent with nothing attached", () => {
    const { container } = render(<AttachmentTray state={initialDrafts} onRemove={vi.fn()} blocker={null} />);
    expect(container).toBeEmptyDOMElement();
  });
});

describe("attaching", () => {
  it("the picker hands over the chosen files", async () => {
    const onFiles = vi.fn();
    render(<AttachButton onFiles={onFiles} />);
    await userEvent.upload(screen.getByTestId("attach-input"), [file("a.png", "image/png")]);
    expect(onFiles).toHaveBeenCalledWith([expect.objectContaining({ name: "a.png" })]);
  });

  it("a pasted image is attached and pasted text is left to the text box", async () => {
    const onFiles = vi.fn();
    render(
      <ImageDropZone onFiles={onFiles}>
        <textarea aria-label="Message" />
      </ImageDropZone>,
    );
    const box = screen.getByRole("textbox", { name: "Message" });
    box.focus();
    await userEvent.paste({ files: [file("shot.png", "image/png")], getData: () => "" } as unknown as DataTransfer);
    expect(onFiles).toHaveBeenCalledWith([expect.objectContaining({ name: "shot.png" })]);
    onFiles.mockClear();
    await userEvent.paste("just words");
    expect(onFiles).not.toHaveBeenCalled();
    expect(box).toHaveValue("just words");
  });
});

describe("MessageImagesView", () => {
  it("shows a thumbnail linking to each image", () => {
    render(
      <MessageImagesView
        items={[{ id: "x", name: "cat.png", mime_type: "image/png", byte_size: 3, width: 40, height: 30, conversation_id: "c", created_at: "", url: "/api/v1/attachments/x/content" }]}
      />,
    );
    const image = screen.getByRole("img", { name: "cat.png" });
    expect(image).toHaveAttribute("src", "/api/v1/attachments/x/content");
    expect(screen.getByRole("link")).toHaveAttribute("href", "/api/v1/attachments/x/content");
  });
});
