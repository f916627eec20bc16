import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse } from "@/test/factories";
import { SharedConversation } from "./SharedConversation";

const TOKEN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_x";

function open(hash: string, response?: Response) {
  window.history.replaceState(null, "", `/share/${hash}`);
  const fetchMock = vi.fn(async (_request: Request) => response ?? jsonResponse(500, {}));
  vi.stubGlobal("fetch", fetchMock);
  render(<SharedConversation />);
  return fetchMock;
}

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

describe("SharedConversation", () => {
  it("shows the snapshot behind the token in the fragment", async () => {
    const body = {
      title: "Lighthouses",
      shared_at: "2026-12-06T12:00:00Z",
      messages: [
        { role: "user", content: "How tall?", model: null, created_at: "2026-12-06T11:00:00Z" },
        { role: "assistant", content: "About **133 m**.", model: "sim-small", created_at: "2026-12-06T11:00:01Z" },
      ],
    };
    const fetchMock = open(`#${TOKEN}`, jsonResponse(200, body));
    expect(await screen.findByRole("heading", { level: 1, name: "Lighthouses" })).toBeVisible();
    expect(screen.getByTestId("shared-question")).toHaveTextContent("How tall?");
    expect(screen.getByTestId("shared-answer")).toHaveTextContent("About 133 m.");
    const request = fetchMock.mock.calls[0]?.[0];
    expect(new URL(request?.url ?? "").pathname).toBe(`/api/v1/shared/${TOKEN}`);
  });

  it("says a revoked or unknown link is not available", async () => {
    open(`#${TOKEN}`, jsonResponse(404, { error: { code: "share_not_found", message: "gone" } }));
    expect(await screen.findByRole("heading", { name: "Link not available" })).toBeVisible();
  });

  it("asks nothing of the server without a well-formed token", async () => {
    const fetchMock = open("#not-a-token");
    expect(await screen.findByRole("heading", { name: "Link not available" })).toBeVisible();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
