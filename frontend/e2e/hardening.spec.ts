import type { Page, Route } from "@playwright/test";
import { answers, composer, expect, expectAccessible, register, send, signIn, test } from "./fixtures";

// The app registers a service worker; Playwright advises blocking service workers in tests that
// route requests, as page.route() can miss a request once one controls the page. A routed 429
// once came from the real server instead (a flaky CI run), so these tests block it.
test.use({ serviceWorkers: "block" });

// Issue 12, web app: each journey here failed before its fix.

test("sign-in never redirects to another site, whatever `next` says", async ({ page, baseURL }) => {
  const email = await register(page);
  const left: string[] = [];
  await page.context().route((url) => url.hostname.endsWith("evil.example"), (route) => {
    left.push(route.request().url());
    return route.abort();
  });
  const payloads = ["%2F%09%2Fevil.example%2Fx", "%2F%0A%2Fevil.example%2Fx", "%2F%0D%2Fevil.example%2Fx", "%2F%5Cevil.example", "%2F%2Fevil.example", "https%3Aevil.example"];
  for (const next of payloads) {
    await page.context().clearCookies();
    await page.goto(`/login/?next=${next}`);
    await signIn(page, email);
    await expect(page).toHaveURL(`${baseURL}/`);
  }
  expect(left).toEqual([]);
  // A real same-origin `next` still works.
  await page.context().clearCookies();
  await page.goto("/login/?next=%2Fusage%2F");
  await signIn(page, email);
  await expect(page).toHaveURL(`${baseURL}/usage/`);
});

/** Answer the send with the SSE a server would write, so any markdown can be rendered for real. */
function fakeAnswer(page: Page, text: string) {
  return page.route("**/api/v1/conversations/*/messages", async (route: Route) => {
    if (route.request().method() !== "POST") return route.fallback();
    const id = /conversations\/([^/]+)\/messages/.exec(route.request().url())?.[1] ?? "";
    const now = new Date().toISOString();
    const base = { conversation_id: id, model: "sim-small", provider: "simulated", input_tokens: null, output_tokens: null, cost_usd: null, latency_ms: null, error_code: null, error_message: null, created_at: now, updated_at: now, finished_at: null };
    const user = { ...base, id: "00000000-0000-4000-8000-0000000000a1", parent_id: null, seq: 1, role: "user", content: "hi", status: "complete" };
    const reply = { ...base, id: "00000000-0000-4000-8000-0000000000a2", parent_id: user.id, seq: 2, role: "assistant", content: "", status: "streaming" };
    const final = { ...reply, content: text, status: "complete", input_tokens: 3, output_tokens: 9, cost_usd: "0E-8" };
    const ev = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    return route.fulfill({
      status: 200,
      headers: { "content-type": "text/event-stream" },
      body:
        ev("message", { conversation_id: id, conversation_title: "hi", user_message: user, assistant_message: reply, max_cost_usd: "0" }) +
        ev("delta", { text }) +
        ev("done", { status: "complete", final }),
    });
  });
}

for (const scheme of ["light", "dark"] as const) {
  test(`links leave only in a new tab, marked; task boxes are named (${scheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await register(page);
    await fakeAnswer(page, "See [x](//evil.example/a) and [here](/usage/).\n\n- [x] read the docs\n- [ ] try it");
    await send(page, "hi");
    const answer = answers(page).last();
    await expect(answer).toHaveAttribute("data-status", "complete");
    const external = answer.getByRole("link", { name: /^x.*opens in a new tab/ });
    await expect(external).toHaveAttribute("target", "_blank");
    await expect(external).toHaveAttribute("rel", "noopener noreferrer");
    await expect(external).toHaveAttribute("href", /^http:\/\/evil\.example\/a$/);
    await expect(external.locator(".external-mark")).toBeVisible();
    await expect(answer.getByRole("link", { name: "here" })).not.toHaveAttribute("target", "_blank");
    await expect(answer.getByRole("checkbox", { name: "Task: read the docs" })).toBeChecked();
    await expect(answer.getByRole("checkbox", { name: "Task: try it" })).toBeDisabled();
    // A free answer costs "free", not "$0" or "$0E-8".
    await expect(answer.getByTestId("message-usage")).toContainText("free");
    await expectAccessible(page, `answer with links and tasks (${scheme})`);
  });
}

test("a refused first message leaves no conversation behind, and the text in the composer", async ({ page, baseURL }) => {
  await register(page);
  const message =
    "Your daily budget of $105.20000000 is spent ($105.20000000 used, $0E-8 in flight; this call could cost up to $0.00012300). It resets at 2030-01-01T00:00:00+00:00.";
  await page.route("**/api/v1/conversations/*/messages", (route) =>
    route.request().method() !== "POST"
      ? route.fallback()
      : route.fulfill({
          status: 429,
          headers: { "content-type": "application/json", "retry-after": "3600", "x-budget-resets-at": "2030-01-01T00:00:00+00:00" },
          body: JSON.stringify({ error: { code: "budget_exceeded", message } }),
        }),
  );
  await send(page, "this will be refused");
  const alert = page.getByRole("alert").filter({ hasText: "Budget exhausted" });
  await expect(alert).toBeVisible();
  const text = (await alert.textContent()) ?? "";
  expect(text).toContain("$105.20 ");
  expect(text).not.toMatch(/E-8|105\.2000|T00:00:00/);
  expect(text.match(/resets/gi)).toHaveLength(1);
  await expect(composer(page)).toHaveValue("this will be refused");
  await expect(page).toHaveURL(`${baseURL}/`);
  const sidebar = page.getByRole("navigation", { name: "Conversations" });
  await expect(sidebar.getByText("No conversations yet.")).toBeVisible();
  // ... and none on the server either (deleted again, not merely hidden).
  await expect.poll(async () => (await (await page.request.get("/api/v1/conversations")).json()).items.length).toBe(0);
});

test("a message over the limit is counted and blocked, with a human message", async ({ page }) => {
  await register(page);
  let posts = 0;
  page.on("request", (r) => {
    if (r.method() === "POST" && /\/messages$/.test(r.url())) posts += 1;
  });
  await composer(page).fill("x".repeat(100_005));
  await expect(page.getByTestId("char-count")).toHaveText("5 characters over the limit of 100,000. Shorten your message to send it.");
  await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();
  await composer(page).press("Enter");
  await composer(page).fill("x".repeat(95_000));
  await expect(page.getByTestId("char-count")).toHaveText("95,000 / 100,000 characters");
  expect(posts).toBe(0);
});

test("a connection cut mid-answer reconnects and finishes; nothing is sent twice", async ({ page, watch }) => {
  watch.allow.push(/Failed to load resource/);
  await register(page);
  let posts = 0;
  let attaches = 0;
  // The real server answers in full; the browser only gets the start of it, then the stream ends
  // without `done` (a dropped connection). The first re-attach is refused by the network too.
  await page.route("**/api/v1/conversations/*/messages", async (route) => {
    if (route.request().method() !== "POST") return route.fallback();
    posts += 1;
    const response = await route.fetch();
    const body = await response.text();
    const events = body.split("\n\n").filter(Boolean);
    // Each event may start with its `id:` line (the position a client resumes from).
    const cut = events.filter((e) => /^event: (message|delta)$/m.test(e)).slice(0, 3);
    return route.fulfill({ response, body: `${cut.join("\n\n")}\n\n` });
  });
  await page.route("**/api/v1/messages/*/stream", (route) => {
    attaches += 1;
    return attaches === 1 ? route.abort("internetdisconnected") : route.fallback();
  });
  await send(page, "Tell me about harbours");
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "reconnecting");
  const answer = answers(page).last();
  await expect(answer).toHaveAttribute("data-status", "complete", { timeout: 20_000 });
  await expect(answer).toContainText("You asked about");
  await expect(page.getByTestId("connection")).toHaveCount(0);
  await expect(answer.locator(".caret")).toHaveCount(0);
  expect(posts).toBe(1);
  expect(attaches).toBeGreaterThanOrEqual(2);
  // The saved message is not offered for sending again, and appears once.
  await expect(composer(page)).toHaveValue("");
  await expect(page.getByTestId("user-message")).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId("user-message")).toHaveCount(1);
  await expect(answers(page)).toHaveCount(1);
});

test.describe("phone (375 px)", () => {
  test.use({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });

  test("every page of the main nav is visible; conversation titles are readable; the row menu works", async ({ page }) => {
    await register(page);
    for (const name of ["Chat", "Images", "Usage", "Providers", "Settings"]) {
      const link = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name });
      await expect(link).toBeInViewport({ ratio: 1 });
    }
    await send(page, "A conversation with a fairly long title to read");
    await expect(answers(page).last()).toHaveAttribute("data-status", "complete");
    await page.getByRole("button", { name: "Chats" }).click();
    const sidebar = page.getByRole("navigation", { name: "Conversations" });
    const title = sidebar.getByTestId("conversation-title").first();
    const row = await sidebar.getByRole("listitem").first().boundingBox();
    const shown = await title.boundingBox();
    expect(shown && row ? shown.width / row.width : 0).toBeGreaterThan(0.7);
    const menu = sidebar.getByRole("button", { name: /^Actions for/ }).first();
    await menu.focus();
    await page.keyboard.press("Enter");
    await expect(sidebar.getByRole("menuitem", { name: "Rename" })).toBeFocused();
    await expectAccessible(page, "conversation menu open (375 px)");
    await page.keyboard.press("End"); // Delete is the last item (after Pin and Archive)
    await page.keyboard.press("Enter");
    await expect(sidebar.getByRole("group", { name: "Confirm delete" })).toBeVisible();
    await sidebar.getByRole("group", { name: "Confirm delete" }).getByRole("button", { name: "Delete" }).click();
    await expect.poll(async () => (await (await page.request.get("/api/v1/conversations")).json()).items.length).toBe(0);
  });
});
