import type { Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { answers, composer, expect, expectAccessible, register, send, test } from "./fixtures";

// Documents in chat against a real server, its local embedding model and the simulated
// provider (which cites the sources it is given): upload a PDF made here, watch it index, ask,
// follow the citation to the passage, its file and page. The cited answer is the README's image.
const README_IMAGE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "images", "cited-answer.png");

const PAGES = [
  "Harbour log, chapter one. The history of coastal navigation on the north coast, and of the ships that needed it.",
  "The Eddystone lighthouse keeper lit the great lamp every evening at dusk, burning paraffin oil, and trimmed the wicks through the night so that ships could see the rocks.",
];

/** A real PDF, one text page per string (Helvetica; lines of at most 80 characters, cut at spaces), built byte by byte. */
function makePdf(pages: string[]): Buffer {
  const escape = (s: string) => s.replace(/\\/g, "\\\\").replace(/\(/g, "\\(").replace(/\)/g, "\\)");
  const objects: string[] = [];
  const kids = pages.map((_, i) => `${4 + 2 * i} 0 R`).join(" ");
  objects.push("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`);
  objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  pages.forEach((text, i) => {
    const lines: string[] = [];
    for (const word of text.split(" ")) {
      const last = lines[lines.length - 1];
      if (last !== undefined && `${last} ${word}`.length <= 80) lines[lines.length - 1] = `${last} ${word}`;
      else lines.push(word);
    }
    const content = `BT /F1 10 Tf 14 TL 40 800 Td ${lines.map((l) => `(${escape(l)}) '`).join(" ")} ET`;
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`);
    objects.push(`<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}\nendstream`);
  });
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
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

test("upload a PDF, ask, follow a citation to the passage", async ({ page }) => {
  test.setTimeout(120_000);
  await register(page);
  const documents = page.getByRole("list", { name: "Documents in this conversation" });

  await test.step("attach a PDF to a new chat: indexing…, then ready", async () => {
    await page.getByTestId("document-input").setInputFiles({ name: "keeper.pdf", mimeType: "application/pdf", buffer: makePdf(PAGES) });
    await expect(page).toHaveURL(/\?c=/);
    const item = documents.getByTestId("document");
    await expect(item).toContainText("keeper.pdf");
    await expect(item).toContainText("2 pages");
    await expect(item).toHaveAttribute("data-status", "ready", { timeout: 30_000 });
    await expect(item.getByRole("status")).toHaveText("ready");
  });

  const cite = page.getByRole("button", { name: "Source 1: keeper.pdf, page 2" });
  await test.step("ask: the answer cites the page that answers it", async () => {
    await send(page, "How did the lighthouse keeper light the lamp?");
    await expect(answers(page).last()).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
    await expect(composer(page)).toBeEnabled();
    await expect(cite).toBeVisible();
    await expect(answers(page).last()).toContainText("keeper.pdf, page 2 says:");
    await accessibleEverywhere(page, "chat with a document and a cited answer");
    mkdirSync(dirname(README_IMAGE), { recursive: true });
    await page.screenshot({ path: README_IMAGE });
  });

  await test.step("follow the citation: the passage, its file and page", async () => {
    await cite.click();
    const dialog = page.getByRole("dialog", { name: "Source [1]" });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId("passage-where")).toHaveText("keeper.pdf, page 2");
    await expect(dialog.getByTestId("passage-text")).toContainText("The Eddystone lighthouse keeper lit the great lamp");
    await expect(dialog.getByRole("button", { name: "Close" })).toBeFocused();
    await accessibleEverywhere(page, "a cited passage");
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    await expect(cite).toBeFocused();
  });

  await test.step("remove the document: the citation says its passage is gone", async () => {
    await page.getByRole("button", { name: "Remove keeper.pdf" }).click();
    await expect(documents).toBeHidden();
    await cite.click();
    await expect(page.getByRole("dialog", { name: "Source [1]" })).toContainText("its document was deleted");
  });
});

test("a file that is not what its name says is refused with a clear message", async ({ page }) => {
  await register(page);
  await send(page, "Hello [[tokens:4]]");
  await expect(answers(page).last()).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
  await page.getByTestId("document-input").setInputFiles({ name: "report.pdf", mimeType: "application/pdf", buffer: Buffer.from("just text") });
  await expect(page.getByTestId("documents").getByRole("alert")).toContainText("report.pdf is named .pdf but is not a PDF file");
  await expect(page.getByRole("list", { name: "Documents in this conversation" })).toBeHidden();
});
