import { type Page } from "@playwright/test";
import { PASSWORD, expect, expectAccessible, register, screenshot, signIn, test } from "./fixtures";

// scripts/e2e.sh creates this administrator before the server starts.
const ADMIN = process.env.E2E_ADMIN_EMAIL ?? "admin@e2e.example.com";

async function asAdmin(page: Page): Promise<void> {
  await page.goto("/login/");
  await signIn(page, ADMIN, PASSWORD);
}

test("teams: an admin creates a team, adds a member and sets its budget", async ({ page, browser, baseURL }) => {
  // The member registers in a browser of their own.
  const other = await browser.newContext({ baseURL });
  const member = await register(await other.newPage());
  await other.close();

  await asAdmin(page);
  await page.getByRole("link", { name: "Teams" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Teams" })).toBeVisible();

  const name = `Research ${Date.now().toString(36)}`;
  await page.getByLabel("New team's name").fill(name);
  await page.getByRole("button", { name: "Create team" }).click();
  const panel = page.getByRole("article", { name });
  await expect(panel).toBeVisible();
  await expect(panel.getByText("This team has no budget.")).toBeVisible();

  await panel.getByLabel("Member's email").fill(member);
  await panel.getByRole("button", { name: "Add member" }).click();
  await expect(panel.getByTestId("members").getByRole("listitem").filter({ hasText: member })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Teams" }).getByRole("button", { name: new RegExp(`${name} · 1`) })).toBeVisible();

  // A monthly budget below the daily one is caught before sending, on its field.
  await panel.getByLabel("Daily budget (USD)").fill("10");
  await panel.getByLabel("Monthly budget (USD)").fill("5");
  await panel.getByRole("button", { name: "Save limits" }).click();
  await expect(panel.getByText("The monthly budget cannot be lower than the daily budget.")).toBeVisible();

  await panel.getByLabel("Monthly budget (USD)").fill("250");
  await panel.getByLabel("Requests per minute").fill("60");
  await panel.getByRole("button", { name: "Save limits" }).click();
  await expect(panel.getByRole("status")).toHaveText(/Saved/);
  await expect(panel.getByRole("meter", { name: "daily budget" })).toBeVisible();
  await expect(panel.getByText(/\$0\.00 spent of \$10\.00/)).toBeVisible();
  await expect(panel.getByText(/\$0\.00 spent of \$250\.00/)).toBeVisible();

  // What was saved is what the server holds (a reload shows it).
  await page.reload();
  await page.getByRole("navigation", { name: "Teams" }).getByRole("button", { name: new RegExp(name) }).click();
  await expect(page.getByRole("article", { name }).getByLabel("Daily budget (USD)")).toHaveValue("10");
  await expect(page.getByRole("article", { name }).getByLabel("Requests per minute")).toHaveValue("60");
});

for (const scheme of ["light", "dark"] as const) {
  for (const width of [1280, 375] as const) {
    test(`teams page is accessible (${scheme}, ${width} px)`, async ({ page }) => {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme: scheme });
      await asAdmin(page);
      await page.goto("/teams/");
      await page.getByLabel("New team's name").fill(`Axe ${scheme} ${width} ${Date.now().toString(36)}`);
      await page.getByRole("button", { name: "Create team" }).click();
      await expect(page.getByRole("article")).toBeVisible();
      await expectAccessible(page, `teams (${scheme}, ${width} px)`);
      await screenshot(page, `teams-${scheme}-${width}`);
    });
  }
}

test("teams page for someone who manages no team says so", async ({ page }) => {
  await register(page);
  await page.goto("/teams/");
  await expect(page.getByText("You do not manage a team.")).toBeVisible();
  await expect(page.getByLabel("New team's name")).toHaveCount(0);
  await expectAccessible(page, "teams (no team)");
});
