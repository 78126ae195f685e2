// The async API in workerd (Miniflare): Workers cannot start threads, so initWorker() rejects
// with BackendError TCONV3D_INIT saying so, from the package's workerd entry bundled the way
// wrangler bundles a Worker (esbuild with the workerd conditions). The package's own workerd
// tests are test/workers.test.ts.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "./runtime-helpers.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let mf: Miniflare;
let out: string;

beforeAll(async () => {
  assertBuilt();
  out = mkdtempSync(join(tmpdir(), "tconv3d-async-worker-"));
  await build({
    entryPoints: [join(ROOT, "test/workers/async-worker.js")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    outfile: join(out, "worker.js"),
    // The workerd entry imports the simd build, a compiled-module import as wrangler makes it.
    plugins: [
      {
        name: "compiled-wasm",
        setup(b) {
          b.onResolve({ filter: /\.wasm$/ }, () => ({ path: "./simd.wasm", external: true }));
        },
      },
    ],
    logLevel: "error",
  });
  copyFileSync(
    join(ROOT, "packages/tconv3d/wasm/simd/tconv3d_wasm_bg.wasm"),
    join(out, "simd.wasm"),
  );
  mf = new Miniflare({
    modules: [
      { type: "ESModule", path: join(out, "worker.js") },
      { type: "CompiledWasm", path: join(out, "simd.wasm") },
    ],
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
