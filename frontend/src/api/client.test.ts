import { describe, expect, it, vi } from "vitest";
import { jsonResponse } from "@/test/factories";
import { createApi } from "./client";
import { readCookie } from "./cookies";

function setup(response: Response = jsonResponse(200, {})) {
  const requests: Request[] = [];
  const onUnauthorized = vi.fn();
  const api = createApi({
    baseUrl: "http://lockgate.test",
    fetch: async (request) => {
      requests.push(request);
      return response.clone();
    },
    getCsrf: () => "csrf-123",
    onUnauthorized,
  });
  return { api, requests, onUnauthorized };
}

describe("CSRF header", () => {
  it("is sent on POST, PATCH and DELETE", async () => {
    const { api, requests } = setup();
    await api.POST("/api/v1/conversations", { body: { title: "x" } });
    await api.PATCH("/api/v1/conversations/{conversation_id}", { params: { path: { conversation_id: "c" } }, body: { title: "y" } });
    await api.DELETE("/api/v1/conversations/{conversation_id}", { params: { path: { conversation_id: "c" } } });
    expect(requests.map((r) => [r.method, r.headers.get("X-CSRF-Token")])).toEqual([
      ["POST", "csrf-123"],
      ["PATCH", "csrf-123"],
      ["DELETE", "csrf-123"],
    ]);
  });

  it("is not sent on GET", async () => {
    const { api, requests } = setup();
    await api.GET("/api/v1/auth/me");
    expect(requests[0]!.headers.has("X-CSRF-Token")).toBe(false);
  });

  it("uses same-origin credentials (the httpOnly session cookie)", async () => {
    const { api, requests } = setup();
    await api.GET("/api/v1/auth/me");
    expect(requests[0]!.credentials).toBe("same-origin");
  });

  it("is read from the lockgate_csrf cookie", () => {
    expect(readCookie("lockgate_csrf", "a=1; lockgate_csrf=tok%2Fen; b=2")).toBe("tok/en");
    expect(readCookie("lockgate_csrf", "lockgate_csrf_x=1")).toBeNull();
  });
});

describe("401 handling", () => {
  it.each(["not_authenticated", "session_expired", "session_revoked"])("sends the user to sign in on %s", async (code) => {
    const { api, onUnauthorized } = setup(jsonResponse(401, { error: { code, message: "no" } }));
    const { error } = await api.GET("/api/v1/auth/me");
    expect(onUnauthorized).toHaveBeenCalledOnce();
    expect(error).toEqual({ error: { code, message: "no" } });
  });

  it("does not redirect on a wrong password (invalid_credentials)", async () => {
    const { api, onUnauthorized } = setup(jsonResponse(401, { error: { code: "invalid_credentials", message: "no" } }));
    await api.POST("/api/v1/auth/login", { body: { email: "a@b.c", password: "x" } });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("does not redirect on other errors", async () => {
    const { api, onUnauthorized } = setup(jsonResponse(403, { error: { code: "csrf_failed", message: "no" } }));
    await api.POST("/api/v1/conversations", { body: {} });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });
});
