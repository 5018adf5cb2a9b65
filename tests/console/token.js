// Drives the web console of a server with a token in headless Chromium (playwright-core):
//   node token.js <console url> <chromium> <token> <download dir>
// The recordings directory holds tone.wav. Prints one line per step it saw happen:
//   "refused <status text>"      a download the server refuses shows the problem's detail
//   "unreachable <status text>"  a download the network fails shows why
//   "downloaded tone.wav"        the download, saved under <download dir>
//   "playing <seconds>"          the player plays the recording fetched with the token
//   "revoked <created> of <made>" a recording fetched for a player forgotten meanwhile (a new
//                                token given) is let go of: object URLs revoked of those made
// Any failure exits 1.
"use strict";
const { chromium } = require("playwright-core");

const [url, executablePath, token, downloads] = process.argv.slice(2);
const step = (text) => console.log(text);
const LINK = "**/api/v1/recordings/tone.wav";

// Counts the page's object URLs made and revoked, in window.objectUrls.
function countObjectUrls() {
  const counts = { made: 0, revoked: 0 };
  window.objectUrls = counts;
  const { createObjectURL, revokeObjectURL } = URL;
  URL.createObjectURL = (blob) => { counts.made += 1; return createObjectURL(blob); };
  URL.revokeObjectURL = (url) => { counts.revoked += 1; revokeObjectURL(url); };
}

// Play clicked, then Use while the recording is on its way: the URL made for it once it
// came must be revoked like every other the page let go of.
async function playThenUse(page, row) {
  let arrived;
  const requested = new Promise((resolve) => { arrived = resolve; });
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route(LINK, async (route) => { arrived(); await held; await route.continue(); }, { times: 1 });
  // Use once first, so that the player playing is forgotten and a new one offers Play.
  await page.click("#save-token");
  const before = await page.evaluate(() => ({ ...window.objectUrls }));
  await row.getByRole("button", { name: "Play" }).click();
  await requested;
  await page.click("#save-token");
  release();
  await page.waitForFunction((made) => window.objectUrls.made > made, before.made);
  const after = await page.evaluate(() => window.objectUrls);
  return [after.revoked - before.revoked, after.made - before.made];
}

(async () => {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ acceptDownloads: true });
    page.setDefaultTimeout(15000);
    await page.addInitScript(countObjectUrls);
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

    const [revoked, made] = await playThenUse(page, row);
    step("revoked " + revoked + " of " + made);
  } finally {
    await browser.close();
  }
})().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
