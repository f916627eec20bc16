// Cold and warm load of the chat page in headless Chromium, for `make bench` (bench/pageload.py).
//
//   node scripts/pageload.mjs <base url> <email> <password> [runs=5]
//
// Each run signs in through the API in a fresh browser context (an empty cache: "cold"), opens
// the chat page until the composer is usable, then opens it again in the same context ("warm":
// hashed assets from the cache, the HTML revalidated). Prints one JSON object: per run, the time
// to the composer and to the load event (ms), and the bytes transferred over the network.
import { chromium } from "playwright-core";

const [base, email, password, runsArg] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error("usage: node scripts/pageload.mjs <base url> <email> <password> [runs]");
  process.exit(2);
}
const runs = Number(runsArg ?? 5);

async function visit(page) {
  const started = Date.now();
  await page.goto(`${base}/`, { waitUntil: "load", timeout: 30_000 });
  await page.getByRole("textbox").first().waitFor({ state: "visible", timeout: 30_000 });
  const usable = Date.now() - started;
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource");
    const bytes = [nav, ...resources].reduce((sum, entry) => sum + (entry?.transferSize ?? 0), 0);
    return { load: nav ? nav.loadEventEnd - nav.startTime : null, bytes };
  });
  return { usable_ms: usable, load_ms: timing.load, bytes: timing.bytes };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
const results = { cold: [], warm: [] };
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const signedIn = await context.request.post(`${base}/api/v1/auth/login`, {
      data: { email, password },
    });
    if (!signedIn.ok()) throw new Error(`sign-in failed: ${signedIn.status()}`);
    const page = await context.newPage();
    results.cold.push(await visit(page));
    results.warm.push(await visit(page));
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
