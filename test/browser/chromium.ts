// Debian's Chromium for every browser test: the launch recipe (launch.mjs), and the outcome a
// page publishes on `window`.
import type { Browser } from "playwright-core";

export { assertChromium, CHROMIUM, launchChromium } from "./launch.mjs";

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
