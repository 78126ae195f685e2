// Types of launch.mjs.
import type { Browser } from "playwright-core";

/** Debian's Chromium. */
export const CHROMIUM: string;
/** Throws a clear error where Chromium is missing (scripts/setup.sh installs it). */
export function assertChromium(): void;
/** Headless Chromium as the tests and benchmarks run it. */
export function launchChromium(): Promise<Browser>;
