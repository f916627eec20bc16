import type { Page } from "@playwright/test";
import { answers, expect, expectAccessible, register, screenshot, send, test } from "./fixtures";

// Organising conversations (folders, pins, archive) and per-conversation parameters with
// presets, against a real server and the simulated provider, which stops a reply at the
// max tokens it is sent ([[tokens:N]] asks for N).

const sidebar = (page: Page) => page.getByRole("navigation", { name: "Conversations" });
const titles = (page: Page) => sidebar(page).getByTestId("conversation-title");

async function rowAction(page: Page, title: string, action: string) {
  await sidebar(page).getByRole("button", { name: `Actions for “${title}”` }).click();
  await sidebar(page).getByRole("menuitem", { name: action }).click();
}

async function answered(page: Page, text: string) {
  await send(page, text);
  await expect(answers(page).last()).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
}

async function accessibleInBothSchemes(page: Page, name: string) {
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    await expectAccessible(page, `${name} (${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

test("organise: create a folder, move, pin, archive and restore, set parameters and see them applied", async ({ page }) => {
  test.setTimeout(120_000);
  await register(page);

  await test.step("two conversations", async () => {
    await answered(page, "Notes about tides [[tokens:6]]");
    await page.getByRole("button", { name: "+ New chat" }).click();
    await answered(page, "Recipe for bread [[tokens:6]]");
    await expect(titles(page)).toHaveText([/^Recipe for bread/, /^Notes about tides/]);
  });

  await test.step("create a folder and move a conversation into it", async () => {
    await sidebar(page).getByRole("button", { name: "+ New folder" }).click();
    await sidebar(page).getByRole("textbox", { name: "Folder name" }).fill("Sea");
    await page.keyboard.press("Enter");
    await expect(sidebar(page).getByRole("button", { name: "Sea, 0 chats" })).toBeVisible();
    await rowAction(page, "Notes about tides [[tokens:6]]", "Move to folder…");
    await sidebar(page).getByRole("combobox", { name: /^Move “Notes about tides/ }).selectOption({ label: "Sea" });
    await sidebar(page).getByRole("button", { name: "Move", exact: true }).click();
    await expect(sidebar(page).getByRole("button", { name: "Sea, 1 chat" })).toBeVisible();
    await sidebar(page).getByRole("button", { name: "Sea, 1 chat" }).click();
    await expect(sidebar(page).getByTestId("list-heading")).toHaveText("Sea");
    await expect(titles(page)).toHaveText([/^Notes about tides/]);
    await sidebar(page).getByRole("button", { name: "All chats" }).click();
    await expect(titles(page)).toHaveCount(2);
  });

  await test.step("pin: pinned first, and it stays first after a reload", async () => {
    await rowAction(page, "Notes about tides [[tokens:6]]", "Pin");
    await expect(titles(page)).toHaveText([/^Notes about tides/, /^Recipe for bread/]);
    await expect(sidebar(page).getByTestId("pinned")).toHaveCount(1);
    await page.reload();
    await expect(titles(page)).toHaveText([/^Notes about tides/, /^Recipe for bread/]);
  });

  await test.step("archive, find it in Archived, restore it", async () => {
    await rowAction(page, "Recipe for bread [[tokens:6]]", "Archive");
    await expect(titles(page)).toHaveText([/^Notes about tides/]);
    await sidebar(page).getByRole("button", { name: "Archived" }).click();
    await expect(sidebar(page).getByTestId("list-heading")).toHaveText("Archived");
    await expect(titles(page)).toHaveText([/^Recipe for bread/]);
    await accessibleInBothSchemes(page, "archived view");
    await screenshot(page, "organise-archived");
    await rowAction(page, "Recipe for bread [[tokens:6]]", "Restore");
    await expect(titles(page)).toHaveCount(0);
    await page.getByRole("button", { name: "+ New chat" }).click(); // a new chat leaves the archive
    await expect(sidebar(page).getByTestId("list-heading")).toHaveText("All chats");
    await expect(titles(page)).toHaveText([/^Notes about tides/, /^Recipe for bread/]);
  });

  await test.step("set parameters: the next answer uses the model and stops at the max tokens", async () => {
    await sidebar(page).getByRole("button", { name: /^Pinned:\s?Notes about tides/ }).click();
    await expect(page.getByTestId("chat-title")).toHaveText(/^Notes about tides/);
    await page.getByRole("button", { name: /^Parameters/ }).click();
    const panel = page.getByTestId("parameters-panel");
    await panel.getByLabel("Model").selectOption("sim-large");
    await panel.getByLabel("Temperature").fill("0.4");
    await panel.getByLabel("Max output tokens").fill("9000");
    await expect(panel.getByLabel("Max output tokens")).toHaveAttribute("aria-invalid", "true");
    await expect(panel.getByText(/^Simulated large.* writes at most 4096 tokens per answer\.$/)).toBeVisible();
    await panel.getByLabel("Max output tokens").fill("7");
    await panel.getByRole("button", { name: "Save parameters" }).click();
    await expect(panel.getByText("Parameters saved.")).toBeVisible();
    await accessibleInBothSchemes(page, "parameters panel");
    await screenshot(page, "organise-parameters");
    await answered(page, "Tell me more [[tokens:40]]");
    const meta = answers(page).last().getByTestId("message-meta");
    await expect(meta).toContainText("sim-large");
    await expect(meta).toContainText("· 7 out tokens");
    const id = new URL(page.url()).searchParams.get("c");
    const saved = await (await page.request.get(`/api/v1/conversations/${id}`)).json();
    expect([saved.model, saved.temperature, saved.max_tokens]).toEqual(["sim-large", 0.4, 7]);
  });

  await test.step("save them as a preset and apply it to a new chat", async () => {
    const panel = page.getByTestId("parameters-panel");
    await panel.getByLabel("New preset name").fill("Short and large");
    await panel.getByRole("button", { name: "Save as preset" }).click();
    await expect(panel.getByText("Saved preset “Short and large”.")).toBeVisible();
    await page.getByRole("button", { name: "+ New chat" }).click();
    await expect(panel.getByLabel("Max output tokens")).toHaveValue("");
    await panel.getByLabel("Saved preset").selectOption({ label: "Short and large" });
    await panel.getByRole("button", { name: "Apply preset" }).click();
    await expect(panel.getByLabel("Max output tokens")).toHaveValue("7");
    await answered(page, "A fresh question [[tokens:40]]");
    const meta = answers(page).last().getByTestId("message-meta");
    await expect(meta).toContainText("sim-large");
    await expect(meta).toContainText("· 7 out tokens");
  });
});

test.describe("phone (375 px)", () => {
  test.use({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });

  test("folders, the row menu and the parameters panel are usable and accessible at 375 px", async ({ page }) => {
    await register(page);
    await answered(page, "A phone conversation [[tokens:6]]");
    await page.getByRole("button", { name: /^Parameters/ }).click();
    await expect(page.getByTestId("parameters-panel")).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await accessibleInBothSchemes(page, "parameters panel (375 px)");
    await page.getByRole("button", { name: "Close parameters" }).click();
    await page.getByRole("button", { name: "Chats" }).click();
    await sidebar(page).getByRole("button", { name: "+ New folder" }).click();
    await sidebar(page).getByRole("textbox", { name: "Folder name" }).fill("Pocket");
    await page.keyboard.press("Enter");
    await expect(sidebar(page).getByRole("button", { name: "Pocket, 0 chats" })).toBeVisible();
    const menu = sidebar(page).getByRole("button", { name: /^Actions for “A phone/ });
    await menu.focus();
    await page.keyboard.press("Enter");
    await expect(sidebar(page).getByRole("menuitem", { name: "Rename" })).toBeFocused();
    await accessibleInBothSchemes(page, "row menu with folders (375 px)");
    await screenshot(page, "organise-375");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter"); // Pin
    await expect(sidebar(page).getByTestId("pinned")).toHaveCount(1);
  });
});
