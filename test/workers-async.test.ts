// The async API in workerd (Miniflare): Workers cannot start threads, so initWorker() rejects
// with BackendError TCONV3D_INIT saying so, from the package's workerd entry bundled the way
// wrangler bundles a Worker (esbuild with the workerd conditions). The package's own workerd
// tests are test/workers.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "./runtime-helpers.js";
import { bundleWorker } from "./workers/bundle.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let mf: Miniflare;
let out: string;

beforeAll(async () => {
  assertBuilt();
  out = mkdtempSync(join(tmpdir(), "tconv3d-async-worker-"));
  mf = new Miniflare({
    modules: await bundleWorker(join(ROOT, "test/workers/async-worker.js"), out),
    modulesRoot: out,
    compatibilityDate: "2025-01-01",
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
  if (out !== undefined) rmSync(out, { recursive: true, force: true });
});

describe("the async API in workerd (Miniflare)", () => {
  it("initWorker() rejects with BackendError TCONV3D_INIT: Workers have no threads", async () => {
    const res = await mf.dispatchFetch("http://worker/");
    expect(await res.json()).toEqual({
      ok: false,
      name: "BackendError",
      code: "TCONV3D_INIT",
      message: expect.stringMatching(/not available in Cloudflare Workers.*use init\(\)/),
    });
  });
});
