import type { Route } from "@playwright/test";
import { answers, expect, register, send, test } from "./fixtures";

// The app registers a service worker; Playwright advises blocking service workers in tests that
// route requests, as page.route() can miss a request once one controls the page. A routed 429
// once came from the real server instead (a flaky CI run), so these tests block it.
test.use({ serviceWorkers: "block" });

const PAYLOAD =
  '<script>window.__xss="script"</script> <img src=x onerror="window.__xss=\'onerror\'"> ' +
  "[click me](javascript:window.__xss='link') [[tokens:20]]";

declare global {
  interface Window {
    __xss?: string;
  }
}

test("XSS payloads in a message stay inert text (real server)", async ({ page }) => {
  await register(page);
  await send(page, PAYLOAD);
  const answer = answers(page).last();
  await expect(answer).toHaveAttribute("data-status", "complete");
  const user = page.getByTestId("user-message").last();
  await expect(user).toContainText("<script>window.__xss");
  await expect(user).toContainText("onerror=");
  // The reply quotes the start of the prompt: it too must be text.
  await expect(answer).toContainText("<script>");
  const list = page.getByTestId("message-list");
  await expect(list.locator("script, img[onerror], [onerror], a[href^='javascript:' i]")).toHaveCount(0);
  await page.reload();
  await expect(answers(page).last()).toHaveAttribute("data-status", "complete");
  await expect(list.locator("script, [onerror], a[href^='javascript:' i]")).toHaveCount(0);
  expect(await page.evaluate(() => window.__xss)).toBeUndefined();
});

/**
 * The simulated provider only echoes a few words of the prompt, so to render *arbitrary*
 * assistant markdown in the real browser this test answers the send request itself with the SSE
 * events the server would send. Everything else (the page, the renderer, the CSP) is real.
 */
function sseReply(route: Route, conversationId: string, text: string) {
  const now = new Date().toISOString();
  const base = {
    conversation_id: conversationId,
    parent_id: null,
    model: "sim-small",
    provider: "simulated",
    input_tokens: null,
    output_tokens: null,
    cost_usd: null,
    latency_ms: null,
    error_code: null,
    error_message: null,
    created_at: now,
    updated_at: now,
    finished_at: null,
  };
  const user = { ...base, id: "00000000-0000-4000-8000-000000000001", seq: 1, role: "user", content: "hi", status: "complete" };
  const reply = { ...base, id: "00000000-0000-4000-8000-000000000002", parent_id: user.id, seq: 2, role: "assistant", content: "", status: "streaming" };
  const final = { ...reply, content: text, status: "complete", input_tokens: 3, output_tokens: 40, cost_usd: "0.000024", latency_ms: 120 };
  const ev = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  return route.fulfill({
    status: 200,
    headers: { "content-type": "text/event-stream" },
    body:
      ev("message", { conversation_id: conversationId, conversation_title: "hi", user_message: user, assistant_message: reply }) +
      ev("delta", { text }) +
      ev("usage", { input_tokens: 3, output_tokens: 40, cost_usd: "0.000024" }) +
      ev("done", { status: "complete", final }),
  });
}

test("assistant markdown is sanitised; external links open safely", async ({ page }) => {
  await register(page);
  const markdown = [
    "# Title",
    "<script>window.__xss='script'</script>",
    '<img src="x" onerror="window.__xss=\'onerror\'">',
    "[bad link](javascript:window.__xss='link') and [data](data:text/html,<script>alert(1)</script>)",
    "[external](https://example.com/page) and [local](/usage/)",
    '<a href="https://evil.example" onclick="window.__xss=\'click\'">raw anchor</a>',
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "```python\nprint('hello')\n```",
  ].join("\n\n"); // blank lines: an HTML line would otherwise swallow the following lines as one block
  await page.route("**/api/v1/conversations/*/messages", async (route) => {
    if (route.request().method() !== "POST") return route.fallback();
    const id = /conversations\/([^/]+)\/messages/.exec(route.request().url())?.[1] ?? "";
    return sseReply(route, id, markdown);
  });
  await send(page, "hi");
  const answer = answers(page).last();
  await expect(answer).toHaveAttribute("data-status", "complete");
  await expect(answer.getByRole("heading", { name: "Title" })).toBeVisible();
  await expect(answer.getByRole("table")).toBeVisible();
  await expect(answer.locator("code.hljs, code.language-python")).toHaveCount(1);
  await expect(answer.getByRole("button", { name: "Copy code" })).toBeVisible();
  // Raw HTML is shown as text, never as elements.
  await expect(answer).toContainText("<script>window.__xss='script'</script>");
  await expect(answer).toContainText("onerror=");
  await expect(answer.locator("script, img, [onerror], [onclick]")).toHaveCount(0);
  await expect(answer.locator("a[href^='javascript:' i], a[href^='data:' i]")).toHaveCount(0);
  await answer.getByText("bad link").click();
  const external = answer.getByRole("link", { name: /external/ });
  await expect(external).toHaveAttribute("target", "_blank");
  await expect(external).toHaveAttribute("rel", "noopener noreferrer");
  const local = answer.getByRole("link", { name: "local" });
  await expect(local).not.toHaveAttribute("target", "_blank");
  expect(await page.evaluate(() => window.__xss)).toBeUndefined();
});

test("the CSP is enforced, so 'no violation' in every test means something", async ({ page, watch }) => {
  watch.allow.push(/script-src|inline script/);
  const response = await page.goto("/login/");
  expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  const violated = await page.evaluate(
    () =>
      new Promise<string | null>((resolve) => {
        document.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective), { once: true });
        const s = document.createElement("script");
        s.textContent = "window.__xss = 'inline'";
        document.body.appendChild(s);
        setTimeout(() => resolve(null), 3000);
      }),
  );
  expect(violated).toMatch(/^script-src/);
  expect(await page.evaluate(() => window.__xss)).toBeUndefined();
  expect(watch.problems.length).toBeGreaterThan(0); // the fixture sees violations too
});

test("provider failures show on the answer, keeping what was streamed", async ({ page }) => {
  await register(page);
  await send(page, "Explain tides [[fail:cut]]");
  const cut = answers(page).last();
  await expect(cut).toHaveAttribute("data-status", "incomplete");
  await expect(cut.getByTestId("message-status")).toContainText("Incomplete");
  await expect(cut).toContainText("You asked about");
  await send(page, "Explain waves [[fail:500]]");
  const failed = answers(page).last();
  await expect(failed).toHaveAttribute("data-status", "error");
  await expect(failed.getByTestId("message-status")).toContainText("Failed");
  await expect(page.getByRole("textbox", { name: "Message" })).toBeEnabled();
});

test("a session cookie is httpOnly and nothing secret is in web storage", async ({ page, context }) => {
  await register(page);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "lockgate_session");
  expect(session?.httpOnly).toBe(true);
  const visible = await page.evaluate(() => document.cookie);
  expect(visible).not.toContain("lockgate_session");
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  expect(stored).not.toMatch(/session|csrf|token/i);
});

test("gate refusals: rate limit with time to retry, budget, overload", async ({ page }) => {
  await register(page);
  const refusals: { status: number; headers: Record<string, string>; code: string; text: RegExp }[] = [
    { status: 429, headers: { "retry-after": "42" }, code: "rate_limited", text: /Rate limited.*Try again in 4\d s/ },
    { status: 429, headers: { "retry-after": "3600", "x-budget-resets-at": "2030-01-01T00:00:00+00:00" }, code: "budget_exceeded", text: /Budget exhausted.*resets/ },
    { status: 503, headers: { "retry-after": "5" }, code: "overloaded", text: /overloaded/i },
    { status: 503, headers: { "retry-after": "30" }, code: "provider_unavailable", text: /Provider unavailable/ },
  ];
  let next = 0;
  await page.route("**/api/v1/conversations/*/messages", async (route) => {
    if (route.request().method() !== "POST") return route.fallback();
    const r = refusals[next] ?? refusals[0]!;
    return route.fulfill({
      status: r.status,
      headers: { "content-type": "application/json", ...r.headers },
      body: JSON.stringify({ error: { code: r.code, message: `Refused: ${r.code}.` } }),
    });
  });
  for (const [i, r] of refusals.entries()) {
    next = i;
    await send(page, `attempt ${i}`);
    const alert = page.getByRole("alert").filter({ hasText: `Refused: ${r.code}` });
    await expect(alert).toHaveAttribute("data-error-code", r.code);
    await expect(alert).toContainText(r.text);
    // Nothing the user wrote is lost: the text is back in the composer.
    await expect(page.getByRole("textbox", { name: "Message" })).toHaveValue(`attempt ${i}`);
    await page.getByRole("textbox", { name: "Message" }).fill("");
  }
});
