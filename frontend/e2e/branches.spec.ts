import type { Page } from "@playwright/test";
import { answers, composer, expect, expectAccessible, register, screenshot, send, test } from "./fixtures";

// Edit and branch, against a real server and the simulated provider: an edit makes a new
// branch (the old one is kept), ‹ n/m › switches between versions and answers, the branch
// shown is kept across a reload, and any answer (not only the last) can be regenerated.
const userMessages = (page: Page) => page.getByTestId("user-message");

async function answered(page: Page, count: number): Promise<void> {
  await expect(answers(page)).toHaveCount(count);
  await expect(answers(page).last()).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
  await expect(composer(page)).toBeEnabled();
}

/** Axe in light and dark at 1280 and 375 px, on the page as it is. */
async function accessibleEverywhere(page: Page, name: string): Promise<void> {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      await expectAccessible(page, `${name} (${colorScheme}, ${width} px)`);
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 800 });
}

test("edit a message, switch between branches, regenerate an earlier answer", async ({ page }) => {
  test.setTimeout(120_000);
  await register(page);

  await test.step("a conversation of two turns", async () => {
    await send(page, "Name a lighthouse [[tokens:8]]");
    await answered(page, 1);
    await send(page, "And another one [[tokens:8]]");
    await answered(page, 2);
  });

  await test.step("edit the first message: a new branch from there", async () => {
    const first = page.getByRole("button", { name: "Edit message" }).first();
    await first.click();
    const editor = page.getByRole("textbox", { name: "Edit your message" });
    await expect(editor).toBeFocused();
    await expect(editor).toHaveValue("Name a lighthouse [[tokens:8]]");
    await editor.fill("Name a famous lighthouse [[tokens:8]]");
    await accessibleEverywhere(page, "chat, editing a message");
    await page.getByRole("button", { name: "Save & send" }).click();
    await answered(page, 1);
    await expect(userMessages(page)).toHaveCount(1);
    await expect(userMessages(page).first()).toHaveText("Name a famous lighthouse [[tokens:8]]");
    await expect(page.getByTestId("version-index")).toHaveText("2 / 2");
    await expect(page.getByRole("group", { name: "Versions: 2 of 2" })).toBeVisible();
    await screenshot(page, "branches-edited");
  });

  await test.step("switch back to the first version: the old branch is all there", async () => {
    await page.getByRole("button", { name: "Previous version" }).click();
    await expect(userMessages(page)).toHaveCount(2);
    await expect(userMessages(page).first()).toHaveText("Name a lighthouse [[tokens:8]]");
    await expect(page.getByTestId("version-index")).toHaveText("1 / 2");
    await expect(answers(page)).toHaveCount(2);
  });

  await test.step("the branch shown is kept across a reload", async () => {
    await page.reload();
    await expect(userMessages(page)).toHaveCount(2);
    await expect(page.getByTestId("version-index")).toHaveText("1 / 2");
  });

  await test.step("regenerate the first answer, not only the last", async () => {
    await answers(page).first().getByRole("button", { name: "Regenerate" }).click();
    await answered(page, 1);
    await expect(userMessages(page)).toHaveCount(1);
    await expect(answers(page).first().getByTestId("answer-index")).toHaveText("2 / 2");
    await accessibleEverywhere(page, "chat with branch switchers");
    await answers(page).first().getByRole("button", { name: "Previous answer" }).click();
    await expect(answers(page)).toHaveCount(2);
    await expect(answers(page).first().getByTestId("answer-index")).toHaveText("1 / 2");
  });

  await test.step("a send continues the branch shown", async () => {
    await send(page, "And a third [[tokens:8]]");
    await answered(page, 3);
    await expect(userMessages(page)).toHaveCount(3);
    await expect(userMessages(page).first()).toHaveText("Name a lighthouse [[tokens:8]]");
  });

  await test.step("keyboard: Escape cancels an edit and gives the focus back", async () => {
    const edit = page.getByRole("button", { name: "Edit message" }).last();
    await edit.focus();
    await page.keyboard.press("Enter");
    const editor = page.getByRole("textbox", { name: "Edit your message" });
    await expect(editor).toBeFocused();
    await page.keyboard.type(" (changed)");
    await page.keyboard.press("Escape");
    await expect(editor).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Edit message" }).last()).toBeFocused();
    await expect(userMessages(page).last()).toHaveText("And a third [[tokens:8]]");
  });
});
