#!/usr/bin/env node
// A BROWSER command for the OAuth end-to-end tests: opens the consent URL (argv[2]) in
// Debian's headless Chromium driven by playwright-core, clicks the sandbox's Approve button
// and waits until the redirect to the driver's CallbackURL has loaded, then exits.
//
// Usage: node oauth_browser.js URL            approve the consent
//        node oauth_browser.js --check        only start Chromium and stop it (exit 0 if it can)
// Environment: CHROMIUM (default /usr/bin/chromium), OAUTH_BROWSER_TIMEOUT_MS (default 30000,
// the bound of every wait), OAUTH_BROWSER_LOG (a file to append what happened to).
//
// Flags: DESIGN "Known traps" (headless Chromium as root). Every wait is bounded; on any
// failure the script exits 1, which makes the driver end its sign-in at once.

const fs = require("fs");
const os = require("os");
const path = require("path");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const LIMIT_MS = Number(process.env.OAUTH_BROWSER_TIMEOUT_MS || 30000);
const LOG = process.env.OAUTH_BROWSER_LOG;

function log(message) {
  const line = `${new Date().toISOString()} oauth_browser: ${message}\n`;
  if (LOG) fs.appendFileSync(LOG, line);
  process.stderr.write(line);
}

async function main() {
  const target = process.argv[2];
  if (!target) throw new Error("usage: oauth_browser.js URL | --check");
  const { chromium } = require("playwright-core");
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "hubdb-chromium-"));
  // A hard stop in case Chromium itself hangs past every bounded wait.
  const watchdog = setTimeout(() => {
    log(`gave up after ${2 * LIMIT_MS} ms`);
    process.exit(3);
  }, 2 * LIMIT_MS);
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: LIMIT_MS,
      args: [
        "--no-sandbox",
        "--headless",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--disable-dev-shm-usage",
      ],
    });
    if (target === "--check") {
      log(`started ${CHROMIUM}`);
      return;
    }
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(LIMIT_MS);
    const consent = new URL(target);
    const callback = consent.searchParams.get("redirect_uri");
    log(`opening the consent page; callback ${callback}`);
    await page.goto(target, { waitUntil: "load", timeout: LIMIT_MS });
    const approve = page.locator("button#approve");
    await approve.waitFor({ state: "visible", timeout: LIMIT_MS });
    log("clicking Approve");
    // The form posts to the sandbox, which answers 303 to the callback URL with the code.
    await Promise.all([
      page.waitForURL((url) => callback !== null && url.href.startsWith(callback), {
        waitUntil: "load",
        timeout: LIMIT_MS,
      }),
      approve.click({ timeout: LIMIT_MS }),
    ]);
    log(`redirect loaded: ${new URL(page.url()).origin}${new URL(page.url()).pathname}`);
  } finally {
    clearTimeout(watchdog);
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    log(`failed: ${error && error.message ? error.message.split("\n")[0] : error}`);
    process.exit(1);
  },
);
