import type { Locator, Page } from "@playwright/test";
import { answers, composer, expect, register, screenshot, send, signIn, test } from "./fixtures";

/** The answer's text as written so far (its meta line and buttons left out). */
async function bodyLength(answer: Locator): Promise<number> {
  return ((await answer.locator(":scope > div").first().textContent()) ?? "").length;
}

/**
 * Record, in the page, the length of the streaming answer's text at every change of the DOM;
 * the function returned stops recording and gives the lengths. (Polling from the test would
 * miss the stream when a loaded machine delays the polls until the answer is complete.)
 */
async function recordStreaming(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const seen: number[] = [];
    const observer = new MutationObserver(() => {
      const live = document.querySelectorAll('[data-testid="assistant-message"][data-status="streaming"]');
      const body = live[live.length - 1]?.querySelector(":scope > div");
      if (body) seen.push((body.textContent ?? "").length);
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    Object.assign(window, { __streamed: { seen, observer } });
  });
  return () =>
    page.evaluate(() => {
      const { seen, observer } = (window as unknown as { __streamed: { seen: number[]; observer: MutationObserver } }).__streamed;
      observer.disconnect();
      return seen;
    });
}

/**
 * Send, and wait until the server has taken the message and its own answer streams text: the
 * locator of that answer, by id. (The last answer on the page is the previous one until the
 * server's first event arrives; acting on it then stops or reloads the wrong thing.)
 */
async function sendAndStream(page: Page, text: string): Promise<Locator> {
  const previous = await answers(page).last().getAttribute("data-message-id");
  await send(page, text);
  const last = answers(page).last();
  await expect(last).not.toHaveAttribute("data-message-id", previous ?? "");
  const id = await last.getAttribute("data-message-id");
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const answer = page.locator(`[data-testid="assistant-message"][data-message-id="${id}"]`);
  await expect(answer).toHaveAttribute("data-status", "streaming");
  await expect.poll(() => bodyLength(answer), { timeout: 10_000 }).toBeGreaterThan(40);
  return answer;
}

// The path a new user takes, end to end, against a real server and the simulated provider.
// Reply lengths and speeds come from the provider's [[tokens:N]] and [[slow:N]] directives.
test("register, chat, rename, search, regenerate, stop, reload, image, 404, sign out", async ({ page, browser, baseURL }) => {
  test.setTimeout(180_000); // a bound for a loaded 2-core CI machine

  let email = "";
  await test.step("register, sign out, sign in", async () => {
    email = await register(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login\/$/);
    await signIn(page, email);
    await expect(page).toHaveURL(/\/$/);
  });

  await test.step("new chat: the answer streams in progressively", async () => {
    await page.getByRole("button", { name: "+ New chat" }).click();
    const streamed = await recordStreaming(page);
    await send(page, "How do lighthouses work? [[tokens:60]] [[slow:20]]");
    await expect(page.getByTestId("user-message").first()).toContainText("How do lighthouses work?");
    const answer = answers(page).last();
    await expect(answer).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
    // Shown while it was written: more than one length, each longer than the one before (a
    // starved browser may batch many tokens into one paint, so not one per token).
    const partial = [...new Set(await streamed())].filter((n) => n > 20);
    expect(partial.length, `lengths seen while streaming: ${partial.join(", ")}`).toBeGreaterThanOrEqual(2);
    expect(partial).toEqual([...partial].sort((a, b) => a - b));
    await expect(answer).toContainText('You asked about "How do lighthouses work?');
    const meta = answer.getByTestId("message-meta");
    await expect(meta).toContainText("out tokens");
    await expect(meta).toContainText("$");
    await expect(answer.getByTestId("message-provider")).toContainText("simulated");
    await expect(page).toHaveURL(/\?c=[0-9a-f-]{36}/);
    await screenshot(page, "chat");
  });

  await test.step("rename the conversation", async () => {
    const sidebar = page.getByRole("navigation", { name: "Conversations" });
    await sidebar.getByRole("button", { name: /^Actions for/ }).first().click();
    await sidebar.getByRole("menuitem", { name: "Rename" }).click();
    const input = sidebar.getByLabel("New title");
    await input.fill("Lighthouse notes");
    await input.press("Enter");
    await expect(sidebar.getByRole("button", { name: /^Lighthouse notes/ }).first()).toBeVisible();
    await expect(page.getByTestId("chat-title")).toHaveText("Lighthouse notes");
  });

  await test.step("a per-conversation system prompt is saved", async () => {
    await page.getByRole("button", { name: "System prompt" }).click();
    await page.getByLabel("System prompt for this conversation").fill("Answer like a lighthouse keeper.");
    await page.getByRole("button", { name: "Save prompt" }).click();
    await expect(page.getByText("Saved.")).toBeVisible();
    await page.reload();
    await page.getByRole("button", { name: /System prompt/ }).click();
    await expect(page.getByLabel("System prompt for this conversation")).toHaveValue("Answer like a lighthouse keeper.");
    await page.getByRole("button", { name: "Close" }).click();
  });

  await test.step("find it by search", async () => {
    await page.getByRole("button", { name: "+ New chat" }).click();
    await send(page, "Bananas and their ripening [[tokens:6]]");
    await expect(answers(page).last()).toHaveAttribute("data-status", "complete");
    const sidebar = page.getByRole("navigation", { name: "Conversations" });
    await expect(sidebar.getByTestId("conversation-list").getByRole("listitem")).toHaveCount(2);
    await sidebar.getByLabel("Search conversations").fill("lighthouse");
    await expect(sidebar.getByTestId("conversation-list").getByRole("listitem")).toHaveCount(1);
    await sidebar.getByRole("button", { name: /^Lighthouse notes/ }).click();
    await expect(page.getByTestId("chat-title")).toHaveText("Lighthouse notes");
    await expect(answers(page)).toHaveCount(1);
  });

  await test.step("regenerate makes a second answer", async () => {
    await answers(page).last().getByRole("button", { name: "Regenerate" }).click();
    const answer = answers(page).last();
    await expect(answer.getByTestId("answer-index")).toHaveText("2 / 2");
    await expect(answer).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
    await answer.getByRole("button", { name: "Previous answer" }).click();
    await expect(answers(page).last().getByTestId("answer-index")).toHaveText("1 / 2");
  });

  await test.step("Esc stops an answer mid-way, keeping its text", async () => {
    const answer = await sendAndStream(page, "Count to a thousand [[tokens:400]] [[slow:15]]");
    await page.keyboard.press("Escape");
    await expect(answer).toHaveAttribute("data-status", "cancelled");
    await expect(answer.getByTestId("message-status")).toContainText("Stopped");
    expect(await bodyLength(answer)).toBeGreaterThan(40);
  });

  await test.step("a reload during an answer re-attaches and it continues", async () => {
    // Long enough (about 15 s) to be still running when the reloaded page is back, also on a
    // loaded machine.
    const answer = await sendAndStream(page, "Tell me a long story [[tokens:300]] [[slow:20]]");
    await page.reload();
    // The same reply, followed again after the reload (not the one stopped before).
    await expect(answer).toHaveAttribute("data-status", "streaming");
    await expect.poll(() => bodyLength(answer), { timeout: 10_000 }).toBeGreaterThan(40);
    const before = await bodyLength(answer);
    await expect.poll(() => bodyLength(answer), { timeout: 10_000 }).toBeGreaterThan(before);
    await expect(answer).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
    await expect(composer(page)).toBeEnabled();
  });

  await test.step("generate an image", async () => {
    await page.getByRole("link", { name: "Images" }).click();
    await page.getByLabel("Prompt").fill("a red lighthouse at dusk");
    await page.getByRole("button", { name: "Generate" }).click();
    const img = page.getByTestId("gallery").getByRole("img", { name: "a red lighthouse at dusk" });
    await expect(img).toBeVisible();
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
    await screenshot(page, "images");
  });

  await test.step("unknown pages get the not-found page, with search", async () => {
    const response = await page.goto("/no/such/page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await page.getByRole("search").getByLabel("Search conversations").fill("Lighthouse");
    await page.getByRole("search").getByRole("button", { name: "Search" }).click();
    const sidebar = page.getByRole("navigation", { name: "Conversations" });
    await expect(sidebar.getByLabel("Search conversations")).toHaveValue("Lighthouse");
    await expect(sidebar.getByTestId("conversation-list").getByRole("listitem")).toHaveCount(1);
  });

  await test.step("sign out: the old session no longer works", async () => {
    const old = await page.context().storageState();
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login\/$/);

    const stale = await browser.newContext({ storageState: old, baseURL });
    const me = await stale.request.get("/api/v1/auth/me");
    expect(me.status()).toBe(401);
    const again = await stale.newPage();
    await again.goto("/usage/");
    await expect(again).toHaveURL(/\/login\/\?next=%2Fusage%2F$/);
    // Signing in again returns to where the user was.
    await signIn(again, email);
    await expect(again).toHaveURL(/\/usage\/$/);
    await stale.close();
  });
});
