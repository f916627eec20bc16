import { PASSWORD, expect, expectAccessible, register, signIn, test } from "./fixtures";

test("sessions: see another device, revoke it; change the password", async ({ page, browser, baseURL }) => {
  const email = await register(page);

  const other = await browser.newContext({ baseURL, userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0" });
  const otherPage = await other.newPage();
  await otherPage.goto("/login/");
  await signIn(otherPage, email);

  await page.goto("/settings/");
  const sessions = page.getByTestId("sessions").getByRole("listitem");
  await expect(sessions).toHaveCount(2);
  await expect(sessions.filter({ hasText: "This device" })).toHaveCount(1);
  await sessions.filter({ hasText: "Firefox on Linux" }).getByRole("button", { name: "Revoke" }).click();
  await expect(sessions).toHaveCount(1);
  expect((await other.request.get("/api/v1/auth/me")).status()).toBe(401);
  await other.close();

  await page.getByLabel("Current password").fill("not the password");
  await page.getByLabel("New password").fill("Another-long-passphrase-7");
  await page.getByRole("button", { name: "Change password" }).click();
  // A wrong current password is an error on the form, not a sign-out.
  await expect(page.getByRole("alert")).toBeVisible();
  // ... and it says what is wrong, not "Not signed in" (every 401 used to read as a sign-in problem).
  const formError = page.getByRole("region", { name: "Change password" }).getByRole("alert");
  await expect(formError).toHaveText("Not accepted. The current password is incorrect.");
  await expect(formError).toHaveAttribute("data-error-kind", "invalid");
  await expect(page).toHaveURL(/\/settings\/$/);

  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Password changed.")).toBeVisible();
  await expectAccessible(page, "settings after changes");
});
