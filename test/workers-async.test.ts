// The async API in workerd (Miniflare): Workers cannot start threads, so initWorker() rejects
// with BackendError TCONV3D_INIT saying so, from the package's workerd entry bundled the way
// wrangler bundles a Worker (esbuild with the workerd conditions). The package's own workerd
// tests are test/workers.test.ts.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "./runtime-helpers.js";
import { type RunningWorker, startWorker } from "./workers/bundle.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let worker: RunningWorker;
let mf: Miniflare;

beforeAll(async () => {
  assertBuilt();
  worker = await startWorker(join(ROOT, "test/workers/async-worker.js"));
  mf = worker.mf;
});

afterAll(async () => {
  await worker?.close();
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
