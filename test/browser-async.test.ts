// The async API in Chromium (Debian's /usr/bin/chromium through playwright-core): a
// cross-origin-isolated page imports the package's browser entry as native ES modules (no
// bundler), so initWorker starts dist/async/worker-web.js as a module Worker, which loads the
// backend and its pool itself. Against the synchronous API on the page's main thread (same
// build, same thread count): forward, the three gradients and an Adam step bit for bit (f32,
// f64), residency (upload → predict → backward → download), copy unless transfer, errors as the
// same class/code/message with the backend still working, terminate() rejecting with a
// BackendError. The checks run in test/browser/async-page.js.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./browser/chromium.js";
import { type StaticServer, serveIsolated } from "./browser/server.mjs";
import { assertBuilt } from "./runtime-helpers.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface ErrorInfo {
  ctor: string;
  name: string;
  code?: string;
  message: string;
}

interface AsyncResult {
  crossOriginIsolated: boolean;
  info: Record<string, unknown>;
  workerInfo: Record<string, unknown>;
  f32: { forward: boolean; gradients: boolean; adam: boolean };
  f64: { forward: boolean; gradients: boolean; adam: boolean };
  residency: {
    resident: boolean;
    downloaded: boolean;
    intoSame: boolean;
    adam: boolean;
    disposed: ErrorInfo | null;
  };
  transfer: {
    kept: boolean;
    detached: boolean;
    keptByUpload: boolean;
    uploadDetached: boolean;
    ok: boolean;
  };
  errors: {
    local: ErrorInfo | null;
    remote: ErrorInfo | null;
    sameClass: boolean;
    stillWorks: boolean;
    argumentError: boolean;
  };
  terminate: { status: string; backendError: boolean; code?: string; message?: string }[];
  locations: Record<string, { info: Record<string, unknown>; same: boolean }>;
}
type Outcome = { ok: true; result: AsyncResult } | { ok: false; error: string };

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

/** The worker as a bundler would emit it: one iife file. */
async function workerBundle(): Promise<string> {
  const entry = fileURLToPath(
    new URL("../packages/tconv3d/dist/async/worker-web.js", import.meta.url),
  );
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    platform: "browser",
    write: false,
    logLevel: "silent",
  });
  return r.outputFiles[0]?.text ?? "";
}

async function run(query: string, bundle?: string): Promise<AsyncResult> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(
      `${server.origin}/test/browser/async.html?${query}${bundle ? "&bundle=1" : ""}`,
    );
    if (bundle !== undefined) {
      await page.waitForFunction("typeof window.__tconv3dGo === 'function'");
      await page.evaluate((text) => {
        const w = window as unknown as { __tconv3dWorkerBundle: string; __tconv3dGo(): void };
        w.__tconv3dWorkerBundle = text;
        w.__tconv3dGo();
      }, bundle);
    }
    const o = (await page.evaluate("window.__tconv3dAsync")) as Outcome;
    expect(errors).toEqual([]);
    if (!o.ok) throw new Error(`in the page: ${o.error}`);
    return o.result;
  } finally {
    await page.close();
  }
}

function expectAll(r: AsyncResult): void {
  expect(r.workerInfo).toEqual(r.info);
  for (const c of [r.f32, r.f64]) expect(c).toEqual({ forward: true, gradients: true, adam: true });
  expect(r.residency).toMatchObject({
    resident: true,
    downloaded: true,
    intoSame: true,
    adam: true,
  });
  expect(r.residency.disposed).toMatchObject({ ctor: "BackendError", code: "TCONV3D_DISPOSED" });
  expect(r.transfer).toEqual({
    kept: true,
    detached: true,
    keptByUpload: true,
    uploadDetached: true,
    ok: true,
  });
  expect(r.errors.local).not.toBeNull();
  expect(r.errors.remote).toEqual(r.errors.local);
  expect(r.errors).toMatchObject({ sameClass: true, stillWorks: true, argumentError: true });
  expect(r.terminate).toHaveLength(3);
  for (const t of r.terminate) {
    expect(t).toMatchObject({ status: "rejected", backendError: true, code: "TCONV3D_WORKER" });
    expect(t.message).toMatch(/terminated \(terminate\(\)\)/);
  }
  for (const l of Object.values(r.locations)) expect(l.same).toBe(true);
  expect(r.locations.relative?.info).toMatchObject({ variant: "simd" });
  expect(r.locations.explicitScript?.info).toMatchObject({ variant: "simd" });
}

describe("the async API in Chromium", () => {
  it("simd-threads, 2 threads: equals the synchronous API bit for bit, resident arrays, transfer, errors, terminate, worker and .wasm locations", async () => {
    const r = await run("variant=simd-threads&threads=2", await workerBundle());
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.workerInfo).toMatchObject({ variant: "simd-threads", threads: 2 });
    expectAll(r);
    // The worker bundled into one iife file starts from a blob: URL and runs the pool.
    expect(r.locations.iifeBundle?.info).toMatchObject({ variant: "simd-threads", threads: 2 });
  });

  it("simd, 1 thread: the same", async () => {
    const r = await run("variant=simd&threads=1");
    expect(r.workerInfo).toMatchObject({ variant: "simd", threads: 1 });
    expectAll(r);
  });
});
