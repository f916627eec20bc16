import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiKey } from "@/api/types";
import { jsonResponse } from "@/test/factories";
import { KeysApp } from "./KeysApp";

vi.mock("next/navigation", () => ({ usePathname: () => "/keys/" }));

const SECRET = "lg-0123456789abcdefSECRETSECRETSECRET";

function key(over: Partial<ApiKey> = {}): ApiKey {
  return {
    id: "k-old",
    user_id: "u1",
    name: "old script",
    prefix: "lg-oldoldo",
    daily_budget_usd: "5.00000000",
    monthly_budget_usd: null,
    rpm: 60,
    tpm: null,
    allowed_models: ["sim-small"],
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    created_at: "2030-01-01T10:00:00Z",
    status: "active",
    spend: {
      today_usd: "1.25000000",
      month_usd: "3.50000000",
      daily_remaining_usd: "3.75000000",
      monthly_remaining_usd: null,
      day_resets_at: "2030-01-02T00:00:00Z",
      month_resets_at: "2030-02-01T00:00:00Z",
      timezone: "UTC",
    },
    ...over,
  };
}

interface Server {
  keys: ApiKey[];
  posted: unknown[];
  deleted: string[];
}

function stubServer(): Server {
  const server: Server = { keys: [key()], posted: [], deleted: [] };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const request = input instanceof Request ? input : new Request(String(input));
      const { pathname } = new URL(request.url);
      const route = `${request.method} ${pathname}`;
      if (route === "GET /api/v1/auth/me") return jsonResponse(200, { id: "u1", email: "a@example.com", is_admin: false });
      if (route === "GET /api/v1/models")
        return jsonResponse(200, { items: [{ id: "sim-small", label: "Simulated small", kind: "chat", default: true }, { id: "sim-image", label: "Images", kind: "image" }] });
      if (route === "GET /api/v1/keys") return jsonResponse(200, server.keys);
      if (route === "POST /api/v1/keys") {
        const body = (await request.json()) as Record<string, unknown>;
        server.posted.push(body);
        if (body.name === "taken") return jsonResponse(422, { error: { code: "unknown_model", message: "Unknown models in allowed_models: x." } });
        const row = key({ id: "k-new", name: String(body.name), prefix: SECRET.slice(0, 10), daily_budget_usd: null, rpm: null, allowed_models: null, created_at: "2030-01-02T10:00:00Z" });
        server.keys = [row, ...server.keys];
        const { spend: _s, status: _st, ...rest } = row;
        return jsonResponse(201, { ...rest, key: SECRET });
      }
      const revoke = /^DELETE \/api\/v1\/keys\/(.+)$/.exec(route);
      if (revoke?.[1]) {
        server.deleted.push(revoke[1]);
        const { spend: _s, status: _st, ...rest } = key({ id: revoke[1] });
        return jsonResponse(200, { ...rest, revoked_at: "2030-01-02T11:00:00Z" });
      }
      throw new Error(`unexpected ${route}`);
    }),
  );
  return server;
}

beforeEach(() => {
  document.cookie = "lockgate_csrf=csrf-abc";
});
afterEach(() => vi.unstubAllGlobals());

describe("the API keys page", () => {
  it("lists keys with spend formatted for people", async () => {
    stubServer();
    render(<KeysApp />);
    const card = await screen.findByTestId("key");
    expect(within(card).getByRole("heading", { name: "old script" })).toBeInTheDocument();
    expect(within(card).getByTestId("key-spend-today")).toHaveTextContent("$1.25 of $5.00");
    expect(within(card).getByTestId("key-spend-today")).toHaveTextContent("$3.75 left");
    expect(within(card).getByTestId("key-spend-month")).toHaveTextContent("$3.50");
    expect(within(card).getByTestId("key-last-used")).toHaveTextContent("Never");
    expect(within(card).getByText("60 requests/min")).toBeInTheDocument();
  });

  it("creates a key and shows its secret once, with snippets for this server", async () => {
    const server = stubServer();
    render(<KeysApp />);
    await screen.findByTestId("key");
    await userEvent.type(screen.getByLabelText("Name"), "nightly");
    await userEvent.type(screen.getByLabelText("Daily budget (USD)"), "2.5");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(await screen.findByTestId("new-key-secret")).toHaveValue(SECRET);
    expect(server.posted).toEqual([{ name: "nightly", daily_budget_usd: "2.5" }]);
    const snippet = screen.getByTestId("snippet");
    expect(snippet).toHaveTextContent(`${window.location.origin}/v1/chat/completions`);
    expect(snippet).toHaveTextContent(`Bearer ${SECRET}`);
    await userEvent.click(screen.getByRole("tab", { name: "Python" }));
    expect(screen.getByTestId("snippet")).toHaveTextContent(`api_key="${SECRET}"`);
    expect(screen.getByTestId("snippet")).toHaveTextContent('model="sim-small"');
    expect(screen.getAllByTestId("key").map((c) => within(c).getByRole("heading").textContent)).toEqual(["nightly", "old script"]);

    await userEvent.click(screen.getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByTestId("new-key")).toBeNull();
    expect(document.body.textContent).not.toContain("SECRETSECRET");
  });

  it("shows a mistake next to its field and sends nothing", async () => {
    const server = stubServer();
    render(<KeysApp />);
    await screen.findByTestId("key");
    await userEvent.type(screen.getByLabelText("Name"), "x");
    await userEvent.type(screen.getByLabelText("Requests per minute"), "1.5");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(screen.getByLabelText("Requests per minute")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Requests per minute")).toHaveAccessibleDescription(/whole number/);
    expect(server.posted).toEqual([]);
  });

  it("shows the server's refusal on the field it is about", async () => {
    stubServer();
    render(<KeysApp />);
    await screen.findByTestId("key");
    await userEvent.type(screen.getByLabelText("Name"), "taken");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(await screen.findByText("Unknown models in allowed_models: x.")).toBeInTheDocument();
  });

  it("revokes only after confirming; cancel keeps the key", async () => {
    const server = stubServer();
    render(<KeysApp />);
    const card = await screen.findByTestId("key");
    await userEvent.click(within(card).getByRole("button", { name: "Revoke old script" }));
    const dialog = screen.getByRole("dialog", { name: "Revoke “old script”?" });
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(server.deleted).toEqual([]);
    expect(screen.queryByRole("dialog")).toBeNull();

    await userEvent.click(within(card).getByRole("button", { name: "Revoke old script" }));
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Revoke key" }));
    await waitFor(() => expect(within(card).getByTestId("key-status")).toHaveTextContent("Revoked"));
    expect(server.deleted).toEqual(["k-old"]);
    expect(within(card).queryByRole("button", { name: /Revoke/ })).toBeNull();
  });
});
