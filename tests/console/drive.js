// Drives the web console in headless Chromium (playwright-core):
//   node drive.js <console url> <chromium> <screenshot file> <download dir>
// and prints one line per step it saw happen; after "muted" it waits for a
// line on stdin (the test checks the call by audio meanwhile). Any failure
// exits 1.
"use strict";
const { chromium } = require("playwright-core");
const readline = require("readline");

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const [url, executablePath, screenshot, downloads] = process.argv.slice(2);
const step = (text) => console.log(text);

(async () => {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ acceptDownloads: true });
    page.setDefaultTimeout(15000);
    await page.goto(url);
    await page.click('#rooms tr[data-room="123"]');
    const row = page.locator("#participants tr", { hasText: "alice" });
    await row.locator(".talking-indicator.on").waitFor();
    step("talking " + (await row.getAttribute("data-call")));
    await page.screenshot({ path: screenshot, fullPage: true });
    step("screenshot");

    await row.getByRole("button", { name: "Mute", exact: true }).click();
    await row.locator("td.muted", { hasText: "yes" }).waitFor();
    step("muted");
    await lines.next();

    await page.fill("#recording-name", "console");
    await page.click("#record");
    await page.waitForTimeout(1500);
    await page.click("#stop-recording");
    const link = page.locator('#recordings a.download[download="console.wav"]');
    await link.waitFor();
    await page.waitForTimeout(1000);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    await download.saveAs(downloads + "/console.wav");
    step("downloaded " + download.suggestedFilename());

    await row.getByRole("button", { name: "Kick" }).click();
    // The kicked call is being hung up, or gone.
    await page.locator("#participants tr", { hasText: "alice" }).filter({ hasText: /disconnecting|finished/ })
      .or(page.locator("#room-view[hidden]")).first().waitFor();
    step("kicked");
  } finally {
    await browser.close();
  }
})().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
