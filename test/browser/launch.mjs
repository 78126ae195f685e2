// Debian's Chromium (/usr/bin/chromium; never a downloaded browser) through playwright-core:
// the one launch recipe of the browser tests and benchmarks (plain JavaScript, so that the
// benchmark scripts can import it too; types in launch.d.mts).
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Throws a clear error where Chromium is missing (scripts/setup.sh installs it). */
export function assertChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (Debian's chromium package)`);
  }
}

/** Headless Chromium as the tests run it. */
export function launchChromium() {
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
