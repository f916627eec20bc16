import AxeBuilder from "@axe-core/playwright";
import { type Page, expect, test as base } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PASSWORD = "Lighthouse-keeper-2025!";
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), "..", "test-results", "screenshots");

export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

interface Watch {
  problems: string[];
  /** Problems a test provokes on purpose. */
  allow: RegExp[];
}

/**
 * Every test's page records CSP violations and uncaught errors; a test fails if any occurred.
 * (Playwright's init script runs outside the page's CSP, so it can listen for violations.)
 */
export const test = base.extend<{ watch: Watch }>({
  watch: [
    async ({ page }, use) => {
      const watch: Watch = { problems: [], allow: [] };
      await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => {
          console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
        });
      });
      page.on("console", (msg) => {
        const text = msg.text();
        if (msg.type() === "error" && /Content.Security.Policy|CSP violation|Refused to/i.test(text)) {
          watch.problems.push(text);
        }
      });
      page.on("pageerror", (err) => watch.problems.push(`page error: ${err.message}`));
      // A missing script, stylesheet or RSC payload of the export (documents may be 404 on purpose).
      page.on("response", (response) => {
        const url = new URL(response.url());
        const own = url.origin === new URL(page.url() || response.url()).origin;
        const api = url.pathname.startsWith("/api/") || url.pathname.startsWith("/health/");
        if (own && !api && response.status() >= 400 && response.request().resourceType() !== "document") {
          watch.problems.push(`${response.status()} for ${url.pathname}`);
        }
      });
      await use(watch);
      const unexpected = watch.problems.filter((p) => !watch.allow.some((re) => re.test(p)));
      expect(unexpected, "CSP violations or uncaught errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

export async function register(page: Page, email = uniqueEmail("user")): Promise<string> {
  await page.goto("/register/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  return email;
}

export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** axe-core with the WCAG 2.1 A/AA rules; serious and critical violations fail the test. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  // Colour contrast measured mid-fade is not the page's contrast: let finite animations and
  // transitions end first (infinite ones, like a spinner, are left running).
  await page.waitForFunction(() =>
    document
      .getAnimations()
      .every((a) => a.playState !== "running" || a.effect?.getComputedTiming().iterations === Infinity),
  );
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
  expect(bad, `axe violations on ${name}`).toEqual([]);
}

export const composer = (page: Page) => page.getByRole("textbox", { name: "Message" });
export const answers = (page: Page) => page.getByTestId("assistant-message");

/** Send with the keyboard (Enter), as a user would. */
export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press("Enter");
}

export async function textLength(page: Page, index = -1): Promise<number> {
  const list = answers(page);
  const count = await list.count();
  if (count === 0) return 0;
  const el = list.nth(index < 0 ? count + index : index);
  return ((await el.textContent()) ?? "").length;
}
