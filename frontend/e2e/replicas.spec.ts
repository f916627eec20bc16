import type { Browser, Page } from "@playwright/test";
import { answers, expect, expectAccessible, register, send, signIn, test } from "./fixtures";

// Two `lockgate serve` replicas sharing one PostgreSQL and one Redis, started by scripts/e2e.sh
// (tests/fixtures/e2e_replicas.py) whenever this spec is selected: a change made through one
// replica must be applied by the other at once (run-time limits travel over Redis pub/sub).
const A = process.env.E2E_REPLICA_A;
const B = process.env.E2E_REPLICA_B;
const ADMIN_EMAIL = process.env.E2E_ADMIN_EMAIL ?? "e2e-admin@example.com";
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? "Admin-passphrase-2026!";

async function on(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  return context.newPage();
}

test("an admin lowers a user's budget on one replica and the user's next chat on another is refused", async ({ browser }) => {
  expect(A && B, "E2E_REPLICA_A and E2E_REPLICA_B: run this spec through scripts/e2e.sh").toBeTruthy();
  if (!A || !B) return;
  expect(A).not.toBe(B);

  const admin = await on(browser, A);
  await admin.goto("/login/");
  await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);

  const member = await on(browser, B);
  const email = await register(member);
  await send(member, "a first question [[tokens:10]]");
  await expect(answers(member).last()).toHaveAttribute("data-status", "complete");

  // The console on replica A: the member's daily budget to zero.
  await admin.goto("/admin/");
  await admin.getByLabel("Search by email").fill(email);
  await admin.getByRole("button", { name: `Manage ${email}` }).click();
  const panel = admin.getByRole("region", { name: `Manage ${email}` });
  await panel.getByLabel("Daily budget (USD)").fill("0");
  await panel.getByRole("button", { name: "Save limits" }).click();
  await expect(admin.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(panel.getByText("now: $0.00").first()).toBeVisible();

  // The member's next chat, on replica B, is refused with the budget message.
  await send(member, "a second question [[tokens:10]]");
  const refusal = member.getByRole("alert").filter({ hasText: "daily budget" });
  await expect(refusal).toBeVisible();
  await expect(refusal).toHaveAttribute("data-error-code", "budget_exceeded");
  await expect(refusal).toContainText("Your daily budget of $0.00 is spent");
  // Refused before any answer was started: the first one is still the only one.
  await expect(answers(member)).toHaveCount(1);
  await expectAccessible(member, "budget refusal on replica B");

  await member.context().close();
  await admin.context().close();
});
