import type { Browser, Page } from "@playwright/test";
import { PASSWORD, answers, expect, expectAccessible, register, screenshot, send, signIn, test, uniqueEmail } from "./fixtures";

// The admin console: invites, a user's budget lowered, and every page axe-clean. scripts/e2e.sh
// creates the administrator (E2E_ADMIN_EMAIL) before any spec runs.
const ADMIN_EMAIL = process.env.E2E_ADMIN_EMAIL ?? "e2e-admin@example.com";
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? "Admin-passphrase-2026!";

async function signInAsAdmin(page: Page): Promise<void> {
  await page.goto("/login/");
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" })).toBeVisible();
}

async function newPage(browser: Browser, baseURL: string | undefined): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  return context.newPage();
}

async function manage(page: Page, email: string): Promise<void> {
  await page.goto("/admin/");
  await page.getByLabel("Search by email").fill(email);
  await page.getByRole("button", { name: `Manage ${email}` }).click();
  await expect(page.getByRole("region", { name: `Manage ${email}` })).toBeVisible();
}

test("admin invites a user, the user registers from the link", async ({ page, browser, baseURL }) => {
  await signInAsAdmin(page);
  await page.getByRole("link", { name: "Admin" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Admin" })).toBeVisible();
  const invitee = uniqueEmail("invitee");
  await page.getByRole("button", { name: "Invite someone" }).click();
  const dialog = page.getByRole("dialog", { name: "Invite someone" });
  await dialog.getByLabel(/^Email/).fill(invitee);
  await dialog.getByRole("button", { name: "Create invite link" }).click();
  const link = (await dialog.getByTestId("invite-link").textContent()) ?? "";
  expect(link).toMatch(/\/register\?invite=[\w-]{43}$/);
  await expect(dialog.getByText("It is shown only now.")).toBeVisible();
  await expectAccessible(page, "admin invite dialog");
  await dialog.getByRole("button", { name: "Done" }).click();

  const guest = await newPage(browser, baseURL);
  await guest.goto(link);
  await expect(guest.getByLabel(/^Invite code/)).toHaveValue(link.split("invite=")[1] ?? "");
  await guest.getByLabel("Email").fill(invitee);
  await guest.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await guest.getByRole("button", { name: "Create account" }).click();
  await expect(guest.getByRole("button", { name: "Sign out" })).toBeVisible();
  // Not an admin: no console in the navigation, and the server refuses it anyway.
  await expect(guest.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" })).toHaveCount(0);
  expect((await guest.request.get("/api/v1/admin/users")).status()).toBe(403);
  await guest.context().close();

  // The link was single-use: it no longer shows among the pending invites, and the log has it.
  await page.goto("/admin/audit/");
  await expect(page.getByTestId("audit-row").filter({ hasText: "invite.created" }).filter({ hasText: invitee }).first()).toBeVisible();
});

test("admin lowers a user's budget and that user's next chat is refused with the budget message", async ({ page, browser, baseURL }) => {
  const member = await newPage(browser, baseURL);
  const email = await register(member);
  await send(member, "first message [[tokens:10]]");
  await expect(answers(member).last()).toHaveAttribute("data-status", "complete");

  await signInAsAdmin(page);
  await manage(page, email);
  await page.getByLabel("Daily budget (USD)").fill("0");
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(page.getByText("now: $0.00").first()).toBeVisible();

  await send(member, "second message [[tokens:10]]");
  const refusal = member.getByRole("alert").filter({ hasText: "daily budget" });
  await expect(refusal).toBeVisible();
  await expect(refusal).toHaveAttribute("data-error-code", "budget_exceeded");
  await expect(refusal).toContainText("Your daily budget of $0.00 is spent");
  await member.context().close();
});

test("admin disables a user after confirming; the user is signed out", async ({ page, browser, baseURL }) => {
  const member = await newPage(browser, baseURL);
  const email = await register(member);
  await signInAsAdmin(page);
  await manage(page, email);
  await page.getByRole("button", { name: "Disable account" }).click();
  const confirm = page.getByRole("dialog", { name: "Disable this account?" });
  await expect(confirm).toContainText("signed out everywhere");
  await confirm.getByRole("button", { name: "Disable account" }).click();
  await expect(page.getByRole("region", { name: `Manage ${email}` })).toContainText("disabled");
  expect((await member.request.get("/api/v1/auth/me")).status()).toBe(401);
  await member.context().close();
});

for (const scheme of ["light", "dark"] as const) {
  for (const width of [1280, 375] as const) {
    test(`admin pages are accessible (${scheme}, ${width} px)`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
      await signInAsAdmin(page);
      for (const [path, ready] of [
        ["/admin/", "Users"],
        ["/admin/audit/", "Audit log"],
        ["/admin/spend/", "Spend"],
      ] as const) {
        await page.goto(path);
        await expect(page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: ready })).toHaveAttribute("aria-current", "page");
        await expect(page.getByRole("status").filter({ hasText: "Loading" })).toHaveCount(0);
        await expectAccessible(page, `${path} ${scheme} ${width}`);
        await screenshot(page, `admin-${path.split("/")[2] || "users"}-${scheme}-${width}`);
      }
      await page.goto("/admin/");
      await page.getByRole("button", { name: `Manage ${ADMIN_EMAIL}` }).click();
      await expect(page.getByRole("button", { name: "Save limits" })).toBeVisible();
      await expectAccessible(page, `/admin/ user panel ${scheme} ${width}`);
    });
  }
}
