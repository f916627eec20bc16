import { answers, expect, expectAccessible, register, screenshot, send, test } from "./fixtures";

// scripts/e2e.sh configures sim-fallback on the provider "flaky" with sim-backup (provider
// "backup") as its fallback; [[fail@flaky:500]] fails the primary for this message only.
test("a reply answered by a fallback says so live, and keeps its badge", async ({ page }) => {
  await register(page);
  await page.getByLabel("Model", { exact: true }).selectOption("sim-fallback");
  await send(page, "Explain tides [[fail@flaky:500]] [[tokens:40]] [[slow:20]]");
  const answer = answers(page).last();
  const note = answer.getByTestId("message-fallback");
  // Shown from the stream's fallback event, while the answer is still being written.
  await expect(note).toBeVisible();
  await expect(answer).toHaveAttribute("data-status", "streaming");
  await expect(note).toHaveText("fallback answered by backup/sim-backup because flaky/sim-fallback was unavailable (provider_unavailable)");
  await expect(answer).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
  await expect(answer.getByTestId("message-provider")).toContainText("backup");
  await expect(answer.getByTestId("message-provider")).toContainText("fallback");
  await expect(note).toBeVisible();
  await expectAccessible(page, "fallback note");
  await screenshot(page, "chat-fallback");
});
