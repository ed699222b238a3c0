// Opens a page in headless Chromium (Debian's, driven by playwright-core),
// waits for its #status to carry data-state, screenshots it, and prints
// {state, status, output} as one JSON line. For tests/web/test_chromium.py
// and web/bench_browser.py.
//
//   node chromium_page.mjs URL SCREENSHOT.png
//
// WEBTENSOR_PLAYWRIGHT is a folder whose node_modules holds playwright-core;
// WEBTENSOR_CHROMIUM the browser (default /usr/bin/chromium).

import { createRequire } from "node:module";

const require = createRequire(`${process.env.WEBTENSOR_PLAYWRIGHT}/`);
const { chromium } = require("playwright-core");

const [url, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.WEBTENSOR_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  const logs = [];
  page.on("console", (message) => logs.push(message.text()));
  page.on("pageerror", (error) => logs.push(String(error)));
  await page.goto(url);
  await page.waitForSelector("#status[data-state]", { timeout: Number(process.env.WEBTENSOR_PAGE_TIMEOUT_MS) || 60_000 });
  await page.screenshot({ path: screenshot, fullPage: true });
  const result = await page.evaluate(() => ({
    state: document.getElementById("status").dataset.state,
    status: document.getElementById("status").textContent,
    output: document.getElementById("output").textContent,
  }));
  process.stdout.write(JSON.stringify({ ...result, logs }) + "\n");
} finally {
  await browser.close();
}
