import { type Page } from "@playwright/test";
import { expect, expectAccessible, screenshot, test } from "./fixtures";

// The app registers a service worker; Playwright advises blocking service workers in tests that
// route requests, as page.route() can miss a request once one controls the page. A routed 429
// once came from the real server instead (a flaky CI run), so these tests block it.
test.use({ serviceWorkers: "block" });

// Single sign-on end to end: scripts/e2e.sh runs a real OpenID Connect provider (oidc-provider,
// tests/oidc) on loopback and configures the server for it. The provider's development pages
// take an account id as the login and ask for consent.

/** The provider's pages import a web font from the internet: nothing leaves the machine. */
async function loopbackOnly(page: Page): Promise<void> {
  await page.route(
    (url) => url.hostname !== "127.0.0.1",
    (route) => route.abort(),
  );
}

/** The banner saying why a single sign-on failed (Next's route announcer is an alert too). */
const ssoAlert = (page: Page) => page.getByRole("alert").and(page.locator("[data-error-code]"));

async function signInAtProvider(page: Page, account: string): Promise<void> {
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

test.skip(!process.env.E2E_OIDC_ISSUER, "scripts/e2e.sh runs the test OIDC provider");

test("an OIDC sign-in lands in the app as an admin from the group claim", async ({ page }) => {
  await loopbackOnly(page);
  await page.goto("/login/?next=%2Fsettings%2F");
  await signInAtProvider(page, "sso-admin");
  await expect(page).toHaveURL(/\/settings\/$/);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  const me = await page.request.get("/api/v1/auth/me");
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ email: "sso-admin@example.com", is_admin: true });
  // Signing out is a CSRF-checked write: the single sign-on session is an ordinary one.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\/$/);
});

test("an address outside the allowed domains is told why on the sign-in page", async ({ page }) => {
  await loopbackOnly(page);
  await page.goto("/login/");
  await signInAtProvider(page, "outsider");
  await expect(page).toHaveURL(/\/login\/\?oidc_error=oidc_domain_not_allowed$/);
  const alert = ssoAlert(page);
  await expect(alert).toHaveAttribute("data-error-code", "oidc_domain_not_allowed");
  await expect(alert).toContainText("Use your organisation's account");
  expect((await page.request.get("/api/v1/auth/me")).status()).toBe(401);
});

for (const scheme of ["light", "dark"] as const) {
  for (const width of [1280, 375] as const) {
    test(`sign-in page with single sign-on is accessible (${scheme}, ${width} px)`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width, height: 800 });
      await page.goto("/login/?oidc_error=oidc_email_unverified");
      await expect(page.getByRole("link", { name: "Sign in with Test IdP" })).toBeVisible();
      await expect(ssoAlert(page)).toContainText("not verified");
      await expectAccessible(page, `login with SSO (${scheme}, ${width} px)`);
      await screenshot(page, `login-sso-${scheme}-${width}`);
    });
  }
}
