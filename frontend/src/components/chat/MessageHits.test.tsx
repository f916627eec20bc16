import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { MessageSearch } from "@/hooks/useMessageSearch";
import type { MessageHit } from "@/lib/messageSearch";
import { MessageHits } from "./MessageHits";

const hit: MessageHit = {
  archived: true,
  conversation_id: "c1",
  conversation_title: "Holidays",
  created_at: "2030-01-01T00:00:00Z",
  highlights: [{ start: 14, end: 20 }],
  matched_by: ["meaning"],
  message_id: "m1",
  role: "user",
  score: 0.016,
  similarity: 0.61,
  snippet: "We flew on to <b>Lisbon</b>",
};

function search(extra: Partial<MessageSearch> = {}): MessageSearch {
  return { query: "q", hits: [hit], cursor: null, meaning: "used", loading: false, generation: 1, error: null, loadMore: vi.fn(), ...extra };
}

describe("MessageHits", () => {
  it("marks the matched words as text, says a hit is by meaning and archived, and opens it", () => {
    const onOpen = vi.fn();
    render(<MessageHits search={search()} onOpen={onOpen} />);
    const button = screen.getByRole("button", { name: "Open the message in “Holidays”" });
    expect(button.querySelector("mark")?.textContent).toBe("<b>Lis");
    expect(button.querySelector("b")).toBeNull();
    expect(screen.getByTestId("hit-by-meaning")).toHaveTextContent("by meaning");
    expect(button).toHaveTextContent("archived");
    fireEvent.click(button);
    expect(onOpen).toHaveBeenCalledWith(hit);
  });

  it("says when nothing matches and when meaning was unavailable", () => {
    render(<MessageHits search={search({ hits: [], meaning: "unavailable" })} onOpen={vi.fn()} />);
    expect(screen.getByText("No message matches.")).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("Search by meaning is unavailable");
  });
});
