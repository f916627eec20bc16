import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Citation, DocumentItem } from "@/api/types";
import { message } from "@/test/factories";
import { citationsByMessage } from "./documentCitations";
import { DocumentsBar } from "./DocumentsBar";
import { AssistantMessage } from "./MessageView";

function doc(over: Partial<DocumentItem> = {}): DocumentItem {
  return {
    id: "d1",
    conversation_id: "c1",
    file_name: "keeper.pdf",
    kind: "pdf",
    byte_size: 1200,
    pages: 2,
    chunk_count: 2,
    status: "ready",
    error: null,
    created_at: "2026-12-07T00:00:00Z",
    ...over,
  };
}

const cite: Citation = { message_id: "m1", position: 1, chunk_id: "k1", document_id: "d1", file_name: "keeper.pdf", page: 2 };

describe("DocumentsBar", () => {
  it("shows each document's status and removes one by name", () => {
    const onRemove = vi.fn();
    render(
      <DocumentsBar
        documents={[doc(), doc({ id: "d2", file_name: "notes.md", pages: null, status: "indexing" })]}
        uploading={false}
        error={null}
        onDismissError={() => {}}
        onAttach={() => {}}
        onRemove={onRemove}
      />,
    );
    const list = screen.getByRole("list", { name: "Documents in this conversation" });
    const items = within(list).getAllByTestId("document");
    expect(items.map((i) => i.textContent)).toEqual(["keeper.pdf2 pagesready×", "notes.mdindexing…×"]);
    fireEvent.click(screen.getByRole("button", { name: "Remove notes.md" }));
    expect(onRemove).toHaveBeenCalledWith("d2");
  });

  it("hands the picked files to the caller", () => {
    const onAttach = vi.fn();
    render(<DocumentsBar documents={[]} uploading={false} error={null} onDismissError={() => {}} onAttach={onAttach} onRemove={() => {}} />);
    const file = new File(["# hi"], "a.md", { type: "text/markdown" });
    fireEvent.change(screen.getByTestId("document-input"), { target: { files: [file] } });
    expect(onAttach).toHaveBeenCalledWith([file]);
  });
});

describe("AssistantMessage with sources", () => {
  it("makes the cited numbers buttons that open their source", () => {
    const open = vi.fn();
    const citations = citationsByMessage(new Map([["m1", [cite]]]), open).get("m1") ?? null;
    render(
      <AssistantMessage
        turn={{ user: null, shown: message({ id: "m1", role: "assistant", status: "complete", content: "Lit at dusk [1], not [2]." }) }}
        streaming={false}
        model={null}
        canRegenerate={false}
        onRegenerate={() => {}}
        onSwitch={() => {}}
        citations={citations}
      />,
    );
    const button = screen.getByRole("button", { name: "Source 1: keeper.pdf, page 2" });
    expect(button).toHaveTextContent("[1]");
    expect(screen.queryByRole("button", { name: /Source 2/ })).toBeNull();
    expect(screen.getByText(/not \[2\]/)).toBeInTheDocument();
    fireEvent.click(button);
    expect(open).toHaveBeenCalledWith(cite);
  });
});
