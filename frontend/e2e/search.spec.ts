import type { Page } from "@playwright/test";
import { answers, composer, expect, expectAccessible, register, screenshot, send, test } from "./fixtures";

// Search by meaning as well as by words, against a real server (the local embedding model, the
// embedded vector index) and the simulated provider. Messages are indexed in the background, so
// the search is typed again until the hit appears (Playwright retries; nothing sleeps).

const sidebar = (page: Page) => page.getByRole("navigation", { name: "Conversations" });
const hits = (page: Page) => sidebar(page).getByTestId("message-hit");
const LISBON = "We booked a flight to Lisbon for the holidays in May [[tokens:6]]";

async function answered(page: Page, count: number): Promise<void> {
  await expect(answers(page)).toHaveCount(count);
  await expect(answers(page).last()).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
  await expect(composer(page)).toBeEnabled();
}

async function search(page: Page, query: string, expected: RegExp): Promise<void> {
  const box = sidebar(page).getByRole("searchbox", { name: /Search conversations/ });
  await expect(async () => {
    await box.fill("");
    await box.fill(query);
    await expect(hits(page).first()).toContainText(expected, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
}

async function accessibleEverywhere(page: Page, name: string): Promise<void> {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
    if (width === 375) await page.getByRole("button", { name: "Chats" }).click();
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      await expect(hits(page).first()).toBeVisible();
      await expectAccessible(page, `${name} (${colorScheme}, ${width} px)`);
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 800 });
}

test("a hit by meaning opens the conversation at the message, highlighted, on its branch", async ({ page }) => {
  test.setTimeout(180_000);
  await register(page);

  await test.step("a message about a trip, then edited: the trip stays on the first branch", async () => {
    await send(page, LISBON);
    await answered(page, 1);
    await page.getByRole("button", { name: "Edit message" }).first().click();
    await page.getByRole("textbox", { name: "Edit your message" }).fill("How long does bread dough rise? [[tokens:6]]");
    await page.getByRole("button", { name: "Save & send" }).click();
    await answered(page, 1);
    await expect(page.getByTestId("version-index")).toHaveText("2 / 2");
  });

  await test.step("another conversation is open", async () => {
    await page.getByRole("button", { name: "+ New chat" }).click();
    await send(page, "Name three rivers [[tokens:6]]");
    await answered(page, 1);
  });

  await test.step("no word in common: found by meaning, its words marked when they match", async () => {
    await search(page, "airplane journey to Portugal", /Lisbon/);
    const first = hits(page).first();
    await expect(first.getByTestId("hit-by-meaning")).toHaveText("by meaning");
    await accessibleEverywhere(page, "chat, message search");
    await screenshot(page, "search-by-meaning");
  });

  await test.step("an exact word ranks first and is marked", async () => {
    await search(page, "rivers", /rivers/);
    await expect(hits(page).first().locator("mark").first()).toHaveText(/rivers/i);
  });

  await test.step("open the hit: its branch is shown and the message is highlighted", async () => {
    await search(page, "airplane journey to Portugal", /Lisbon/);
    await hits(page).first().click();
    await expect(page).toHaveURL(/[?&]m=/);
    const target = page.locator('[data-highlighted="true"]');
    await expect(target).toContainText("Lisbon");
    await expect(target).toBeInViewport();
    await expect(page.getByTestId("version-index")).toHaveText("1 / 2");
    await screenshot(page, "search-hit-opened");
  });
});
