// Debian's Chromium (/usr/bin/chromium; never a downloaded browser) driven by playwright-core,
// for every browser test: one launch recipe, and the outcome a page publishes on `window`.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Throws a clear error where Chromium is missing (scripts/setup.sh installs it). */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (Debian's chromium package)`);
  }
}

/** Headless Chromium as the tests run it. */
export function launchChromium(): Promise<Browser> {
  assertChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Opens `url`, awaits the promise the page stores in `window[name]`, and returns its value
 * with the page's uncaught errors and console messages. */
export async function pageOutcome(
  browser: Browser,
  url: string,
  name: string,
): Promise<{ value: unknown; errors: string[]; console: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const messages: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => messages.push(`${m.type()}: ${m.text()}`));
  try {
    await page.goto(url);
    await page.waitForFunction((n) => n in window, name);
    const value = await page.evaluate(`window[${JSON.stringify(name)}]`);
    return { value, errors, console: messages };
  } finally {
    await page.close();
  }
}
