import type { Browser, Page } from "@playwright/test";
import { expect, expectAccessible, register, screenshot, signIn, test } from "./fixtures";

// The console's providers and models page (the catalogue, the admins' health check) and a team
// admin's keys. scripts/e2e.sh creates the administrator before any spec runs.
const ADMIN_EMAIL = process.env.E2E_ADMIN_EMAIL ?? "e2e-admin@example.com";
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? "Admin-passphrase-2026!";

async function signInAsAdmin(page: Page): Promise<void> {
  await page.goto("/login/");
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
}

async function newPage(browser: Browser, baseURL: string | undefined): Promise<Page> {
  return (await browser.newContext({ baseURL })).newPage();
}

test("providers: the models with their prices and sources, and an admin checks a provider", async ({ page, browser, baseURL }) => {
  await signInAsAdmin(page);
  await page.goto("/providers/");
  const catalog = page.getByTestId("model-catalog");
  const small = catalog.getByTestId("catalog-row").filter({ hasText: "Simulated small" });
  await expect(small).toContainText("$0.15 in · $0.60 out per 1M tokens");
  await expect(small).toContainText("lockgate.yaml");
  await expect(small).toContainText("Streaming");
  await expect(catalog.getByTestId("catalog-row").filter({ hasText: "Simulated images" })).toContainText("$0.02 per image");
  await expect(catalog.getByTestId("catalog-row").filter({ hasText: "Simulated with a fallback" })).toContainText("sim-backup");

  const card = page.getByTestId("provider").filter({ has: page.getByRole("heading", { name: /^backup/ }) });
  await card.getByRole("button", { name: "Check backup now" }).click();
  await expect(card.getByTestId("provider-check")).toContainText("Healthy");
  await expect(card.getByTestId("provider-check")).toContainText(/Answered in [\d,]+ ms/);
  await expectAccessible(page, "providers with a check result");
  await screenshot(page, "providers-models-check");

  // The check is in the audit log; a plain user sees the models but no check button.
  await page.goto("/admin/audit/");
  await expect(page.getByTestId("audit-row").filter({ hasText: "provider.checked" }).first()).toBeVisible();
  const member = await newPage(browser, baseURL);
  await register(member);
  await member.goto("/providers/");
  await expect(member.getByTestId("catalog-row").first()).toBeVisible();
  await expect(member.getByRole("button", { name: /^Check .* now$/ })).toHaveCount(0);
  await member.context().close();
});

test("teams: a team admin creates a team key, sees the secret once, calls /v1 with it and revokes it", async ({ page, browser, baseURL }) => {
  const lead = await newPage(browser, baseURL);
  const leadEmail = await register(lead);

  await signInAsAdmin(page);
  await page.goto("/teams/");
  const name = `Platform ${Date.now().toString(36)}`;
  await page.getByLabel("New team's name").fill(name);
  await page.getByRole("button", { name: "Create team" }).click();
  const adminPanel = page.getByRole("article", { name });
  await adminPanel.getByLabel("Member's email").fill(leadEmail);
  await adminPanel.getByLabel("Role", { exact: true }).selectOption("admin");
  await adminPanel.getByRole("button", { name: "Add member" }).click();
  await expect(adminPanel.getByTestId("members").getByRole("listitem").filter({ hasText: leadEmail })).toBeVisible();

  // The team admin (not a Lockgate admin) manages the team's keys.
  await lead.goto("/teams/");
  const panel = lead.getByRole("article", { name });
  await expect(panel.getByText("No key pays into this team yet.")).toBeVisible();
  await panel.getByRole("button", { name: "Create a team key" }).click();
  const form = panel.getByRole("form", { name: `Create a key for ${name}` });
  await form.getByLabel("Name").fill("ci pipeline");
  await form.getByLabel("Daily budget (USD)").fill("2");
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(panel.getByTestId("new-key")).toBeVisible();
  const secret = await panel.getByTestId("new-key-secret").inputValue();
  expect(secret).toMatch(/^lg-/);
  await expectAccessible(lead, "team key secret");
  await screenshot(lead, "team-key-secret");

  const answer = await lead.request.post("/v1/chat/completions", {
    headers: { Authorization: `Bearer ${secret}` },
    data: { model: "sim-small", messages: [{ role: "user", content: "Hello from the team key" }], max_tokens: 16 },
  });
  expect(answer.status()).toBe(200);

  await panel.getByRole("button", { name: "I have copied it" }).click();
  const row = panel.getByTestId("team-keys").getByRole("listitem").filter({ hasText: "ci pipeline" });
  await expect(row).toContainText(leadEmail);
  await expect(row).toContainText("$2.00 a day");
  await lead.reload();
  expect(await lead.content()).not.toContain(secret);

  await lead.getByRole("article", { name }).getByRole("button", { name: "Revoke ci pipeline" }).click();
  await lead.getByRole("dialog", { name: "Revoke “ci pipeline”?" }).getByRole("button", { name: "Revoke key" }).click();
  await expect(lead.getByRole("article", { name }).getByText("Revoked keys (1)")).toBeVisible();
  const refused = await lead.request.post("/v1/chat/completions", {
    headers: { Authorization: `Bearer ${secret}` },
    data: { model: "sim-small", messages: [{ role: "user", content: "again" }], max_tokens: 16 },
  });
  expect(refused.status()).toBe(401);
  await lead.context().close();
});

for (const scheme of ["light", "dark"] as const) {
  for (const width of [1280, 375] as const) {
    test(`providers and models page is accessible (${scheme}, ${width} px)`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
      await signInAsAdmin(page);
      await page.goto("/providers/");
      await expect(page.getByTestId("catalog-row").first()).toBeVisible();
      await expect(page.getByTestId("provider").first()).toBeVisible();
      await expect(page.getByRole("status").filter({ hasText: "Loading" })).toHaveCount(0);
      await expectAccessible(page, `/providers/ ${scheme} ${width}`);
      await screenshot(page, `providers-models-${scheme}-${width}`);
    });
  }
}
