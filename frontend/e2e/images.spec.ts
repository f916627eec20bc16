import type { Page } from "@playwright/test";
import { answers, composer, expect, expectAccessible, register, screenshot, test } from "./fixtures";

// Images in the chat, against a real server and the simulated provider (which describes the
// images it is sent): attach with the picker and by pasting, send, see the thumbnail under the
// message and an answer that saw the image; a model that cannot see images says so before
// anything is sent.

/** A small PNG drawn by the page itself (no fixture files): width x height, one colour. */
async function pngBytes(page: Page, width: number, height: number): Promise<Buffer> {
  const base64 = await page.evaluate(
    ([w, h]) => {
      const canvas = document.createElement("canvas");
      canvas.width = w;
      canvas.height = h;
      const context = canvas.getContext("2d");
      if (context) {
        context.fillStyle = "#c03030";
        context.fillRect(0, 0, w, h);
      }
      return canvas.toDataURL("image/png").split(",")[1] ?? "";
    },
    [width, height] as const,
  );
  return Buffer.from(base64, "base64");
}

/** Paste an image into the composer as a browser does (a ClipboardEvent carrying a file). */
async function pasteImage(page: Page, bytes: Buffer, name: string): Promise<void> {
  await composer(page).focus();
  await composer(page).evaluate(
    (box, [data, fileName]) => {
      const raw = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([raw], fileName, { type: "image/png" }));
      box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
    },
    [bytes.toString("base64"), name] as const,
  );
}

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

const tray = (page: Page) => page.getByTestId("attachment-tray");

test("attach images with the picker and by pasting, send, see the thumbnails and the answer", async ({ page }) => {
  test.setTimeout(120_000);
  await register(page);

  await test.step("pick a file: it uploads and shows a preview with a remove button", async () => {
    await page.getByTestId("attach-input").setInputFiles({ name: "red.png", mimeType: "image/png", buffer: await pngBytes(page, 40, 30) });
    await expect(tray(page).getByRole("img", { name: "red.png" })).toBeVisible();
    await expect(tray(page).locator("li[data-status=ready]")).toHaveCount(1);
  });

  await test.step("paste a second one, then remove it again", async () => {
    await pasteImage(page, await pngBytes(page, 20, 20), "pasted.png");
    await expect(tray(page).locator("li[data-status=ready]")).toHaveCount(2);
    await accessibleEverywhere(page, "chat, images attached");
    await page.getByRole("button", { name: "Remove pasted.png" }).click();
    await expect(tray(page).getByRole("listitem")).toHaveCount(1);
  });

  await test.step("a file that is not an image is refused with the reason", async () => {
    await page.getByTestId("attach-input").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
    await expect(tray(page).getByRole("alert")).toContainText("Only PNG, JPEG, GIF and WebP");
    await page.getByRole("button", { name: "Remove notes.txt" }).click();
  });

  await test.step("send: the thumbnail is shown and the answer saw the image", async () => {
    await composer(page).fill("What colour is this? [[tokens:6]]");
    await composer(page).press("Enter");
    await expect(answers(page)).toHaveCount(1);
    await expect(answers(page).last()).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
    await expect(answers(page).last()).toContainText("I see 1 image: a 40x30 PNG");
    const thumbnail = page.getByTestId("message-images").getByRole("img", { name: "red.png" });
    await expect(thumbnail).toBeVisible();
    await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(40);
    await expect(tray(page)).toHaveCount(0);
    await screenshot(page, "images-sent");
    await accessibleEverywhere(page, "chat, an answer about an image");
  });

  await test.step("the thumbnail is still there after a reload", async () => {
    await page.reload();
    await expect(page.getByTestId("message-images").getByRole("img", { name: "red.png" })).toBeVisible();
  });
});

test("a model that cannot see images says so before sending", async ({ page }) => {
  test.setTimeout(60_000);
  await register(page);
  await page.getByLabel("Model", { exact: true }).selectOption("sim-backup");
  await page.getByTestId("attach-input").setInputFiles({ name: "red.png", mimeType: "image/png", buffer: await pngBytes(page, 8, 8) });
  await expect(page.getByTestId("attachment-blocker")).toContainText("Simulated backup");
  await expect(page.getByTestId("attachment-blocker")).toContainText("cannot see images. Choose a model that can, or remove the images.");
  await composer(page).fill("What is this?");
  await composer(page).press("Enter");
  await expect(answers(page)).toHaveCount(0);
  await expect(composer(page)).toHaveValue("What is this?");
  await accessibleEverywhere(page, "chat, a model without vision");
});
