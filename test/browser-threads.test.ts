// The threaded runtime in Chromium (Debian's /usr/bin/chromium through playwright-core; never a
// downloaded browser): a cross-origin-isolated page loads the built package and starts a
// 2-thread pool, both on the page's main thread (rayon's web_spin_lock makes the main thread
// spin instead of Atomics.wait) and inside a dedicated Worker (the recommended host), and
// computes on WasmArrays there (bit-equal to JS arrays, before and after memory grows).
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./browser/chromium.js";
import { type StaticServer, serveIsolated } from "./browser/server.mjs";
import { assertBuilt } from "./runtime-helpers.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface ProbeResult {
  crossOriginIsolated: boolean;
  info: { variant: string; simd: boolean; relaxedSimd: boolean; threads: number };
  backendInfo: { variant: string; threads: number };
  poolThreads: number;
  distinct: number;
  sharedMemory: boolean;
  initMs: number;
  poolMs: number;
  wasmArrays: { before: boolean; grew: boolean; after: boolean };
}
type Outcome = { ok: true; result: ProbeResult } | { ok: false; error: string };

let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  server = await serveIsolated(ROOT);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function outcome(query: string, isolated = true): Promise<Outcome> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    const prefix = isolated ? "" : "/_plain";
    await page.goto(`${server.origin}${prefix}/test/browser/index.html?${query}`);
    const result = (await page.evaluate("window.__tconv3dResult")) as Outcome;
    expect(errors).toEqual([]);
    return result;
  } finally {
    await page.close();
  }
}

async function run(query: string, isolated = true): Promise<ProbeResult> {
  const o = await outcome(query, isolated);
  if (!o.ok) throw new Error(`in the page: ${o.error}`);
  return o.result;
}

describe("simd-threads in Chromium", () => {
  it("works inside a dedicated Worker: 2 threads, >1 did work", async () => {
    const r = await run("mode=worker&variant=simd-threads&threads=2");
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.info).toEqual({ variant: "simd-threads", simd: true, relaxedSimd: false, threads: 2 });
    expect(r.poolThreads).toBe(2);
    expect(r.sharedMemory).toBe(true);
    expect(r.distinct).toBeGreaterThan(1);
    // WasmArrays computed in place equal JS arrays, before and after memory grows.
    expect(r.wasmArrays).toEqual({ before: true, grew: true, after: true });
  });

  it("works on the page's main thread: 2 threads, >1 did work", async () => {
    const r = await run("mode=main&variant=simd-threads&threads=2");
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.backendInfo).toMatchObject({ variant: "simd-threads", threads: 2 });
    expect(r.distinct).toBeGreaterThan(1);
  });

  it("auto picks the relaxed-SIMD threaded build, which Chromium runs", async () => {
    const r = await run("mode=worker&variant=auto&threads=2");
    expect(r.info).toEqual({
      variant: "simd-threads-relaxed",
      simd: true,
      relaxedSimd: true,
      threads: 2,
    });
    expect(r.distinct).toBeGreaterThan(1);
  });

  it("without cross-origin isolation, auto falls back to simd-relaxed and simd-threads says why", async () => {
    const r = await run("mode=main&variant=auto&threads=2", false);
    expect(r.crossOriginIsolated).toBe(false);
    expect(r.info).toMatchObject({ variant: "simd-relaxed", relaxedSimd: true, threads: 1 });
    const o = await outcome("mode=worker&variant=simd-threads&threads=2", false);
    expect(o.ok).toBe(false);
    if (!o.ok) expect(o.error).toMatch(/not cross-origin isolated/);
  });

  it("the simd variant loads in the browser too", async () => {
    const r = await run("mode=main&variant=simd&threads=1");
    expect(r.info).toEqual({ variant: "simd", simd: true, relaxedSimd: false, threads: 1 });
    expect(r.distinct).toBe(1);
    // Not shared: the growth detaches views, and X.data makes a fresh one.
    expect(r.wasmArrays).toEqual({ before: true, grew: true, after: true });
  });
});
