// Drives the web console of a server with a token in headless Chromium (playwright-core):
//   node token.js <console url> <chromium> <token> <download dir>
// The recordings directory holds tone.wav. Prints one line per step it saw happen:
//   "refused <status text>"      a download the server refuses shows the problem's detail
//   "unreachable <status text>"  a download the network fails shows why
//   "downloaded tone.wav"        the download, saved under <download dir>
//   "playing <seconds>"          the player plays the recording fetched with the token
// Any failure exits 1.
"use strict";
const { chromium } = require("playwright-core");

const [url, executablePath, token, downloads] = process.argv.slice(2);
const step = (text) => console.log(text);
const LINK = "**/api/v1/recordings/tone.wav";

(async () => {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ acceptDownloads: true });
    page.setDefaultTimeout(15000);
    let saved = 0;
    page.on("download", () => { saved += 1; });
    await page.goto(url);
    await page.fill("#token", token);
    await page.click("#save-token");
    const row = page.locator("#recordings tr", { hasText: "tone.wav" });
    const link = row.locator("a.download");
    await link.waitFor();

    // A refusal (the recording gone meanwhile) is said, not saved as the recording.
    await page.route(LINK, (route) => route.fulfill({
      status: 404, contentType: "application/problem+json",
      body: JSON.stringify({ type: "about:blank", title: "Not Found", status: 404, detail: "no recording tone.wav" }),
    }), { times: 1 });
    await link.click();
    await page.locator("#status", { hasText: "no recording tone.wav" }).waitFor();
    step("refused " + (await page.textContent("#status")));
    await page.route(LINK, (route) => route.abort(), { times: 1 });
    await link.click();
    await page.locator("#status", { hasText: "tone.wav: " }).filter({ hasNotText: "no recording" }).waitFor();
    step("unreachable " + (await page.textContent("#status")));
    if (saved !== 0) throw new Error(saved + " refused downloads saved");

    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    await download.saveAs(downloads + "/tone.wav");
    step("downloaded " + download.suggestedFilename());

    await row.getByRole("button", { name: "Play" }).click();
    const audio = row.locator("audio");
    await audio.waitFor({ state: "visible" });
    await audio.evaluate((a) => new Promise((resolve) => {
      if (a.src.startsWith("blob:") && a.readyState >= 1) resolve();
      else a.addEventListener("loadedmetadata", resolve, { once: true });
    }));
    // Kept playable across the page's refreshes (every 5 s).
    await page.waitForTimeout(5500);
    const duration = await audio.evaluate((a) => a.isConnected && a.src.startsWith("blob:") ? a.duration : -1);
    step("playing " + duration.toFixed(1));
  } finally {
    await browser.close();
  }
})().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
