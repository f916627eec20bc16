import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { answers, expect, expectAccessible, register, screenshot, send, test } from "./fixtures";

// Export, import and share links, through the UI against a real server.

async function chatWithOneAnswer(page: Page, question: string): Promise<void> {
  await send(page, `${question} [[tokens:12]]`);
  await expect(answers(page).last()).toHaveAttribute("data-status", "complete");
  await expect(page).toHaveURL(/\?c=[0-9a-f-]{36}/);
}

async function download(page: Page, name: string | RegExp): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name }).click()]);
  const path = await file.path();
  expect(path).toBeTruthy();
  return path;
}

test("transfer: export then import round-trips", async ({ page, browser, baseURL }) => {
  test.setTimeout(90_000);
  await register(page);
  await chatWithOneAnswer(page, "Round trip question about tides");
  const answer = (await answers(page).last().textContent()) ?? "";

  await test.step("export the open conversation as Markdown and as JSON", async () => {
    await page.getByTestId("export-menu").getByText("Export").click();
    const markdown = readFileSync(await download(page, "Markdown (.md)"), "utf8");
    expect(markdown).toContain("# Round trip question about tides");
    expect(markdown).toContain("### You · ");
    await page.getByTestId("export-menu").getByText("Export").click();
    const one = JSON.parse(readFileSync(await download(page, "Lockgate JSON (.json)"), "utf8"));
    expect(one.format).toBe("lockgate.conversations");
    expect(one.conversations).toHaveLength(1);
  });

  let everything = "";
  await test.step("export every conversation from Settings", async () => {
    await page.goto("/settings/");
    everything = await download(page, "Download Lockgate JSON");
    const document = JSON.parse(readFileSync(everything, "utf8"));
    expect(document.conversations[0].messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
  });

  await test.step("another account imports the file and reads the same conversation", async () => {
    const other = await browser.newContext({ baseURL });
    const second = await other.newPage();
    await register(second);
    await second.goto("/settings/");
    await second.getByLabel(/A Lockgate JSON export/).setInputFiles(everything);
    await second.getByRole("button", { name: "Import", exact: true }).click();
    await expect(second.getByRole("status").filter({ hasText: "Imported" })).toHaveText(
      "Imported 1 conversation (2 messages) from a Lockgate export.",
    );
    await expectAccessible(second, "settings after an import");
    await second.goto("/");
    const sidebar = second.getByRole("navigation", { name: "Conversations" });
    await sidebar.getByRole("button", { name: /^Round trip question about tides/ }).click();
    await expect(second.getByTestId("user-message")).toContainText("Round trip question about tides");
    await expect(answers(second).last()).toHaveText(answer);
    await other.close();
  });

  await test.step("a file that is not an export is refused and imports nothing", async () => {
    await page.goto("/settings/");
    await page.getByLabel(/A Lockgate JSON export/).setInputFiles({
      name: "notes.json",
      mimeType: "application/json",
      buffer: Buffer.from('{"hello": "world"}'),
    });
    await page.getByRole("button", { name: "Import", exact: true }).click();
    const refusal = page.getByRole("region", { name: "Your data" }).getByRole("alert");
    await expect(refusal).toHaveAttribute("data-error-code", "import_unknown_format");
    await expect(refusal).toContainText("neither a Lockgate export nor ChatGPT");
  });
});

test("transfer: a share link opens signed-out and stops working when revoked", async ({ page, browser, baseURL }) => {
  test.setTimeout(120_000);
  await register(page);
  await chatWithOneAnswer(page, "Shared question about lighthouses");

  let link = "";
  await test.step("create a link in the share dialog", async () => {
    await page.getByRole("button", { name: "Share", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: /^Share/ });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Create link" }).click();
    link = await dialog.getByLabel("Share link").inputValue();
    expect(link).toMatch(/\/share\/#[A-Za-z0-9_-]{43}$/);
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: 800 });
        await expect(dialog.getByLabel("Share link")).toBeVisible();
        await expectAccessible(page, `share dialog ${colorScheme} ${width}`);
        await screenshot(page, `share-dialog-${colorScheme}-${width}`);
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  const reader = await browser.newContext({ baseURL });
  const visitor = await reader.newPage();
  await test.step("the link opens signed out, noindex, without account data", async () => {
    const response = await visitor.goto(link);
    expect(response?.headers()["x-robots-tag"]).toBe("noindex, nofollow");
    await expect(visitor.getByRole("heading", { level: 1 })).toHaveText(/Shared question about lighthouses/);
    await expect(visitor.getByTestId("shared-answer")).toHaveCount(1);
    await expect(visitor.locator('meta[name="robots"]')).toHaveAttribute("content", /noindex/);
    await expect(visitor.getByRole("button", { name: "Sign out" })).toHaveCount(0);
    await expect(visitor.locator("body")).not.toContainText("@example.com");
    await expect(visitor.locator("body")).not.toContainText("$");
  });

  await test.step("the page is accessible in light and dark, at 1280 and 375 px", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      await visitor.emulateMedia({ colorScheme });
      for (const width of [1280, 375]) {
        await visitor.setViewportSize({ width, height: 800 });
        await expect(visitor.getByTestId("shared-answer")).toBeVisible();
        await expectAccessible(visitor, `share page ${colorScheme} ${width}`);
        const wide = await visitor.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(wide, "the share page scrolls sideways").toBeLessThanOrEqual(0);
        await screenshot(visitor, `share-${colorScheme}-${width}`);
      }
    }
  });

  await test.step("a later message is not in the snapshot", async () => {
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
    await chatWithOneAnswer(page, "A later, private question");
    await visitor.reload();
    await expect(visitor.getByTestId("shared-answer")).toHaveCount(1);
    await expect(visitor.locator("body")).not.toContainText("A later, private question");
  });

  await test.step("revoked: the link stops working", async () => {
    await page.goto("/settings/");
    const links = page.getByTestId("shared-links").getByRole("listitem");
    await expect(links).toHaveCount(1);
    await expect(links.first()).toContainText("Shared question about lighthouses");
    await expectAccessible(page, "settings with a shared link");
    await links.first().getByRole("button", { name: /^Revoke the link/ }).click();
    await expect(page.getByText("You have not shared any conversation.")).toBeVisible();
    await visitor.reload();
    await expect(visitor.getByRole("heading", { name: "Link not available" })).toBeVisible();
    await expectAccessible(visitor, "revoked share page");
  });
  await reader.close();
});
