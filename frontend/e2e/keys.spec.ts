import { type Page } from "@playwright/test";
import { expect, expectAccessible, register, screenshot, test } from "./fixtures";

/** The secret in the curl snippet, as a user would copy it from there. */
async function keyFromSnippet(page: Page): Promise<string> {
  const curl = (await page.getByTestId("snippet").textContent()) ?? "";
  const found = /Authorization: Bearer (lg-[A-Za-z0-9_-]+)/.exec(curl);
  expect(found, "the snippet carries the new key").not.toBeNull();
  return found![1]!;
}

async function chat(page: Page, key: string) {
  return page.request.post("/v1/chat/completions", {
    headers: { Authorization: `Bearer ${key}` },
    data: { model: "sim-small", messages: [{ role: "user", content: "Hello from the keys journey" }], max_tokens: 16 },
  });
}

test("keys: create one in the UI, call /v1 with the snippet's key, see it used and spent; revoke it and it is refused", async ({ page }) => {
  await register(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
  await expect(page.getByText("You have no API keys yet.")).toBeVisible();

  await page.getByLabel("Name").fill("journey");
  await page.getByLabel("Daily budget (USD)").fill("1");
  await page.getByLabel("Requests per minute").fill("600");
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByTestId("new-key")).toBeVisible();
  const origin = new URL(page.url()).origin;
  await expect(page.getByTestId("snippet")).toContainText(`${origin}/v1/chat/completions`);
  const key = await keyFromSnippet(page);
  await expect(page.getByTestId("new-key-secret")).toHaveValue(key);
  await expectAccessible(page, "keys with a new secret");
  await screenshot(page, "keys-new-secret");

  const answer = await chat(page, key);
  expect(answer.status()).toBe(200);
  const body = (await answer.json()) as { choices: { message: { content: string } }[] };
  expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);

  await page.getByRole("button", { name: "I have copied it" }).click();
  await expect(page.getByTestId("new-key")).toHaveCount(0);
  const card = page.getByTestId("key").filter({ hasText: "journey" });
  await expect(card.getByTestId("key-last-used")).toHaveText("just now");
  await expect(card.getByTestId("key-spend-today")).toContainText(/\$0\.0000\d+ of \$1\.00|< \$0\.000001 of \$1\.00/);
  await expect(card.getByTestId("key-spend-today")).toContainText("left");
  // After a reload, the secret is nowhere on the page.
  await page.reload();
  await expect(card).toBeVisible();
  expect(await page.content()).not.toContain(key);

  await card.getByRole("button", { name: "Revoke journey" }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke “journey”?" });
  await expect(dialog).toBeVisible();
  await expectAccessible(page, "keys revoke dialog");
  await dialog.getByRole("button", { name: "Revoke key" }).click();
  await expect(card.getByTestId("key-status")).toHaveText("Revoked");

  const refused = await chat(page, key);
  expect(refused.status()).toBe(401);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("revoked_api_key");

  // My usage: the key's row, and the CSV export of the period.
  await page.goto("/usage/");
  const byKey = page.getByTestId("usage-by-key");
  await expect(byKey.getByRole("row", { name: /journey/ })).toContainText("(revoked)");
  const download = page.waitForEvent("download");
  await page.getByTestId("usage-export").click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^lockgate-usage-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
});

for (const scheme of ["light", "dark"] as const) {
  for (const width of [1280, 375] as const) {
    test.describe(`keys page ${scheme} ${width}`, () => {
      test.use({ colorScheme: scheme, viewport: { width, height: 900 } });

      test(`keys and usage pages are accessible (${scheme}, ${width} px)`, async ({ page }) => {
        await register(page);
        // Every page of the main nav fits, the new one too (it wraps rather than scrolls).
        for (const name of ["Chat", "Images", "Usage", "API keys", "Providers", "Settings"]) {
          await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name })).toBeInViewport({ ratio: 1 });
        }
        await page.goto("/keys/");
        await page.getByLabel("Name").fill("layout");
        await page.getByRole("checkbox", { name: "Every model, including ones added later" }).uncheck();
        await page.getByRole("checkbox", { name: /Simulated small/ }).check();
        await page.getByLabel("Expires").selectOption("30");
        await page.getByRole("button", { name: "Create key" }).click();
        await expect(page.getByTestId("new-key")).toBeVisible();
        await expect(page.getByTestId("snippet")).toContainText("sim-small");
        await expectAccessible(page, `keys ${scheme} ${width}`);
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(wide, "the keys page scrolls sideways").toBeLessThanOrEqual(0);
        await screenshot(page, `keys-${scheme}-${width}`);
        await page.getByRole("button", { name: "I have copied it" }).click();
        await expect(page.getByTestId("key")).toContainText("sim-small");
        await expectAccessible(page, `keys list ${scheme} ${width}`);

        await page.goto("/usage/");
        await expect(page.getByTestId("usage-total")).toBeVisible();
        await page.getByLabel("Period").selectOption("custom");
        await expect(page.getByLabel("From")).toBeVisible();
        await expectAccessible(page, `usage ${scheme} ${width}`);
        const usageWide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(usageWide, "the usage page scrolls sideways").toBeLessThanOrEqual(0);
        await screenshot(page, `usage-keys-${scheme}-${width}`);
      });
    });
  }
}
