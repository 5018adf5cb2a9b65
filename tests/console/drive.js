// Drives the web console in headless Chromium (playwright-core):
//   node drive.js <console url> <chromium> <screenshot file> <download dir>
// and prints one line per step it saw happen; after "muted" it waits for a
// line on stdin (the test checks the call by audio meanwhile). Any failure
// exits 1. Before the page opens, and once it shows the talking caller, it
// sets off a burst of events (bob muted and unmuted, BURST times each) and
// prints how many REST requests the page made for them:
//   "requests on open <n>", "requests for a burst <n>".
// The page's first event stream is refused (a 503 with a problem detail):
//   "events refused <status line>", then "events resumed" once it reconnected
//   and its message is gone.
// Room HOSTILE (whose name is markup) is shown as text, not run as markup:
//   "hostile shown as text".
// A refresh of the selected room answered with a 503 keeps the room shown:
//   "busy kept <status line>", its message gone after a refresh that succeeds.
"use strict";
const { chromium } = require("playwright-core");
const readline = require("readline");

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const [url, executablePath, screenshot, downloads] = process.argv.slice(2);
const step = (text) => console.log(text);

// Mute-unmute pairs of a burst: 2 * BURST events.
const BURST = 100;
// How long the page gets to settle after a burst.
const SETTLE_MS = 2000;
// The room tests/console.rs puts a caller in: a name that would run script if taken as HTML.
const HOSTILE = "<img src=x onerror=alert(1)>";

// A problem answer of the server's kind.
const problem = (status, detail) => ({
  status, contentType: "application/problem+json",
  body: JSON.stringify({ type: "about:blank", title: "Service Unavailable", status, detail }),
});

// A REST call to the server, from outside the page.
async function rest(method, path) {
  const answer = await fetch(new URL(path, url), { method });
  if (!answer.ok) throw new Error(method + " " + path + ": " + answer.status);
  return answer.json();
}

// Waits until the page's status line is empty.
const statusCleared = (page) => page.waitForFunction(() => document.getElementById("status").textContent === "");

// Room HOSTILE, in the rooms list and once selected, is text and runs nothing.
async function hostileShownAsText(page, dialogs) {
  await page.locator("#rooms tr", { hasText: HOSTILE }).click();
  await page.locator("#participants tr", { hasText: "eve" }).waitFor();
  const name = await page.textContent("#room-name");
  if (name !== HOSTILE) throw new Error("room shown as " + JSON.stringify(name));
  const images = await page.locator("#rooms img, #room-view img").count();
  if (images !== 0 || dialogs.length !== 0) throw new Error(images + " images, dialogs " + dialogs);
}

// Mutes and unmutes bob BURST times each: 2 * BURST `mute` events.
async function burst() {
  const room = await rest("GET", "/api/v1/rooms/123");
  const bob = room.participants.find((p) => p.number.includes("bob"));
  if (!bob) throw new Error("no bob in " + JSON.stringify(room));
  const base = "/api/v1/rooms/123/participants/" + encodeURIComponent(bob.call);
  for (let n = 0; n < BURST; n++) {
    await rest("POST", base + "/mute");
    await rest("POST", base + "/unmute");
  }
}

(async () => {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ acceptDownloads: true });
    page.setDefaultTimeout(15000);
    // The page's REST requests (its event stream is not one).
    let requests = 0;
    page.on("request", (request) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith("/api/") && !path.startsWith("/api/v1/events")) requests += 1;
    });
    const dialogs = [];
    page.on("dialog", (dialog) => { dialogs.push(dialog.message()); dialog.dismiss(); });
    // Events kept from before the page opened, which the page reads first.
    await burst();
    await page.route("**/api/v1/events?*", (route) => route.fulfill(problem(503, "no events now")), { times: 1 });
    await page.goto(url);
    await page.locator("#status", { hasText: "no events now" }).waitFor();
    step("events refused " + (await page.textContent("#status")));
    await statusCleared(page);
    step("events resumed");
    await page.click('#rooms tr[data-room="123"]');
    const row = page.locator("#participants tr", { hasText: "alice" });
    await row.locator(".talking-indicator.on").waitFor();
    step("talking " + (await row.getAttribute("data-call")));
    await page.waitForTimeout(SETTLE_MS);
    step("requests on open " + requests);
    const before = requests;
    await burst();
    await page.waitForTimeout(SETTLE_MS);
    step("requests for a burst " + (requests - before));
    await page.screenshot({ path: screenshot, fullPage: true });
    step("screenshot");

    await hostileShownAsText(page, dialogs);
    step("hostile shown as text");

    await page.click('#rooms tr[data-room="123"]');
    await row.waitFor();
    await page.route("**/api/v1/rooms/123", (route) => route.fulfill(problem(503, "too busy for room 123")), { times: 1 });
    await page.click('#rooms tr[data-room="123"]');
    await page.locator("#status", { hasText: "too busy for room 123" }).waitFor();
    if (!(await page.isVisible("#room-view")) || !(await row.isVisible())) throw new Error("room 123 hidden when busy");
    step("busy kept " + (await page.textContent("#status")));
    await page.click('#rooms tr[data-room="123"]');
    await statusCleared(page);

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
