// The demo (demo/): `pnpm demo` trains the decoder in the terminal, its loss falls 10x and it
// writes a PNG montage; `pnpm demo:web`'s page, built by Vite, trains the same decoder in a Web
// Worker in Debian's Chromium: cross-origin isolated on every core, not isolated on one thread,
// the loss falling, the canvases drawn and the main thread free. A screenshot of the page goes to
// test-results/demo-web.png.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./browser/chromium.js";
import { type StaticServer, serveIsolated } from "./browser/server.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WEB = join(ROOT, "demo/web");
const THREADS = Math.min(availableParallelism(), 8);
const tmp = mkdtempSync(join(tmpdir(), "tconv3d-demo-"));

function demo(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      ["--experimental-wasm-relaxed-simd", "demo/train.mjs", ...args],
      { cwd: ROOT, timeout: 120_000, encoding: "utf8" },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code) : 0, out: stdout + stderr }),
    ),
  );
}

/** First loss over the mean of the last ten. */
function ratio(losses: number[]): number {
  const last = losses.slice(-10);
  return (losses[0] as number) / (last.reduce((a, b) => a + b, 0) / last.length);
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("pnpm demo (terminal)", () => {
  it("trains until the loss is 10x lower and writes the montage", async () => {
    const png = join(tmp, "montage.png");
    const { code, out } = await demo(["--steps", "40", "--threads", "2", "--out", png]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/tconv3d simd-threads(-relaxed)?, 2 thread\(s\): 8\^3 -> 32\^3 decoder/);
    const lower = Number(/: ([\d.]+)x lower/.exec(out)?.[1]);
    expect(lower).toBeGreaterThanOrEqual(10);
    expect(out).toContain(`montage: ${png}`);
    const bytes = readFileSync(png);
    expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    // IHDR: 3 rows of 96-pixel views, 9 views across.
    expect(bytes.readUInt32BE(16)).toBeGreaterThan(9 * 96);
    expect(bytes.readUInt32BE(20)).toBeGreaterThan(3 * 96);
  });

  it("--help, and bad options", async () => {
    const help = await demo(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: pnpm demo \[options\]/);
    expect(help.out).toMatch(/--steps N/);
    const bad = await demo(["--size", "30"]);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/--size must be a multiple of 4, got 30/);
    const unknown = await demo(["--stepz", "3"]);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/Unknown option '--stepz'/);
  });
});

describe("pnpm demo:web (Chromium)", () => {
  let browser: Browser;
  let server: StaticServer;

  beforeAll(async () => {
    const outDir = join(tmp, "web");
    await build({
      root: WEB,
      configFile: join(WEB, "vite.config.mjs"),
      logLevel: "error",
      build: { outDir, emptyOutDir: true },
    });
    server = await serveIsolated(outDir);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  interface DemoState {
    backend: { variant: string; threads: number; fallback?: string } | null;
    losses: number[];
    done: boolean;
    error: string | null;
    maxGapMs: number;
  }

  /** Opens the page, waits for the training to finish, returns its state and the page. */
  async function run(path: string, steps: number): Promise<{ state: DemoState; page: Page }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.origin}${path}?steps=${steps}`);
    await page.waitForFunction(
      () => {
        const s = (window as unknown as { __demo?: DemoState }).__demo;
        return s !== undefined && (s.done || s.error !== null);
      },
      undefined,
      { timeout: 100_000 },
    );
    const state = (await page.evaluate("window.__demo")) as DemoState;
    expect(errors).toEqual([]);
    expect(state.error).toBeNull();
    expect(state.losses).toHaveLength(steps);
    return { state, page };
  }

  /** Distinct colours of a canvas (a blank one has one). */
  function colours(page: Page, id: string): Promise<number> {
    return page.evaluate((id) => {
      const c = document.getElementById(id) as HTMLCanvasElement;
      const d = (c.getContext("2d") as CanvasRenderingContext2D).getImageData(
        0,
        0,
        c.width,
        c.height,
      ).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4) {
        seen.add(((d[i] as number) << 16) | ((d[i + 1] as number) << 8) | (d[i + 2] as number));
      }
      return seen.size;
    }, id);
  }

  it("cross-origin isolated: trains on every core, draws, stays responsive", async () => {
    const { state, page } = await run("/index.html", 60);
    expect(state.backend).toMatchObject({ variant: "simd-threads-relaxed", threads: THREADS });
    expect(ratio(state.losses)).toBeGreaterThanOrEqual(10);
    expect(await colours(page, "loss")).toBeGreaterThan(3);
    // The montage: 9 views across of 64-pixel volumes, in many colours.
    expect(
      await page.evaluate(() => document.getElementById("volumes")?.clientWidth),
    ).toBeGreaterThan(9 * 64);
    expect(await colours(page, "volumes")).toBeGreaterThan(20);
    expect(await page.textContent("#backend")).toBe(
      `Backend: simd-threads-relaxed, ${THREADS} thread${THREADS === 1 ? "" : "s"}`,
    );
    // The page's 20 ms timer never waited long while the worker trained.
    expect(state.maxGapMs).toBeLessThan(250);
    mkdirSync(join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test-results/demo-web.png"), fullPage: true });
    await page.close();
  });

  it("not cross-origin isolated: trains on one thread and says why", async () => {
    const { state, page } = await run("/_plain/index.html", 30);
    expect(state.backend).toMatchObject({ variant: "simd-relaxed", threads: 1 });
    if (THREADS > 1) expect(state.backend?.fallback).toMatch(/not cross-origin isolated/);
    expect(ratio(state.losses)).toBeGreaterThan(3);
    expect(await colours(page, "volumes")).toBeGreaterThan(20);
    await page.close();
  });
});
