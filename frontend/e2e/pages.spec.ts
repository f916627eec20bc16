import { answers, expect, expectAccessible, register, screenshot, send, test } from "./fixtures";

// Every page: it renders, axe-core finds no serious/critical violation, no CSP violation (the
// fixture), and a screenshot is kept. Light and dark schemes, desktop and a 375 px phone.
const PAGES = [
  { path: "/", name: "chat", ready: "Message" },
  { path: "/images/", name: "images", heading: "Images" },
  { path: "/usage/", name: "usage", heading: "Usage" },
  { path: "/providers/", name: "providers", heading: "Providers" },
  { path: "/settings/", name: "settings", heading: "Settings" },
] as const;

for (const scheme of ["light", "dark"] as const) {
  test.describe(`${scheme} scheme`, () => {
    test.use({ colorScheme: scheme });

    test(`signed-out pages (${scheme})`, async ({ page }) => {
      for (const path of ["/login/", "/register/"]) {
        await page.goto(path);
        await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
        await expectAccessible(page, path);
        await screenshot(page, `${path.replaceAll("/", "")}-${scheme}`);
      }
      const response = await page.goto("/nothing-here/");
      expect(response?.status()).toBe(404);
      await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
      await expectAccessible(page, "404");
      await screenshot(page, `not-found-${scheme}`);
    });

    test(`signed-in pages (${scheme})`, async ({ page }) => {
      await register(page);
      // Some content so that the chat, usage and images pages are not empty.
      await send(page, "Show me a table and some code [[tokens:30]]");
      await expect(answers(page).last()).toHaveAttribute("data-status", "complete");
      for (const p of PAGES) {
        await page.goto(p.path);
        if ("heading" in p) await expect(page.getByRole("heading", { level: 1, name: p.heading })).toBeVisible();
        else await expect(page.getByRole("textbox", { name: p.ready })).toBeVisible();
        if (p.name === "usage") await expect(page.getByTestId("usage-total")).toBeVisible();
        if (p.name === "providers") {
          // By name: the other simulated providers (the fallback journey's) say "(simulated)" too.
          const card = page.getByTestId("provider").filter({ has: page.getByRole("heading", { name: /^simulated / }) });
          await expect(card).toContainText("Breaker");
          await expect(card.getByRole("meter", { name: "daily budget" })).toBeVisible();
        }
        if (p.name === "settings") await expect(page.getByText("This device")).toBeVisible();
        await expectAccessible(page, p.path);
        await screenshot(page, `${p.name}-${scheme}`);
      }
    });
  });
}

test.describe("phone (375 px)", () => {
  test.use({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });

  test("chat is usable at 375 px", async ({ page }) => {
    await register(page);
    await send(page, "Hello from a phone [[tokens:12]]");
    await expect(answers(page).last()).toHaveAttribute("data-status", "complete");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const toggle = page.getByRole("button", { name: "Chats" });
    await toggle.click();
    await expect(page.getByRole("navigation", { name: "Conversations" })).toBeVisible();
    await expectAccessible(page, "chat (375 px, sidebar open)");
    await screenshot(page, "chat-375-sidebar");
    await page.getByRole("button", { name: "Close conversations" }).click({ position: { x: 360, y: 400 } });
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    await screenshot(page, "chat-375");
    for (const path of ["/usage/", "/settings/", "/images/"]) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(wide, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
    }
  });
});
