// tconv3d in the real Workers runtime: workerd, started by Miniflare (both from npm), runs
// test/workers/worker.js bundled the way wrangler bundles a Worker (esbuild with the workerd
// conditions; each imported .wasm becomes a compiled-module import). Its results must equal,
// bit for bit, the same build's in Node; init() with bytes (Workers compile no WASM from bytes)
// must fail with an error that says what to do, and init() must work after it, with the build
// the package's workerd entry imports or with one passed as init({ module }).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { values } from "./helpers.js";
import { assertBuilt } from "./runtime-helpers.js";
import { type RunningWorker, startWorker } from "./workers/bundle.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

type T = typeof import("tconv3d");
let tc: T;
let worker: RunningWorker;
let mf: Miniflare;

beforeAll(async () => {
  assertBuilt();
  tc = await import("tconv3d");
  await tc.init({ variant: "simd", threads: 1 });
  worker = await startWorker(join(ROOT, "test/workers/worker.js"));
  mf = worker.mf;
});

afterAll(async () => {
  await worker?.close();
});

async function get(path: string): Promise<{ ok: boolean; info?: unknown; error?: string }> {
  const res = await mf.dispatchFetch(`http://worker${path}`);
  return (await res.json()) as { ok: boolean; info?: unknown; error?: string };
}

/** `count` values of `values` (test/helpers.ts) as a JSON-ready array. */
const list = (count: number, seed: number) => Array.from(values(count, seed));

describe("tconv3d in workerd (Miniflare)", () => {
  it("init({ module: bytes }) fails: Workers compile only imported modules", async () => {
    const r = await get("/init?with=bytes");
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/did not compile the \.wasm bytes/);
    expect(r.error).toMatch(/pass a WebAssembly\.Module/);
  });

  it("init() then loads the single-threaded SIMD build the workerd entry imports", async () => {
    const r = await get("/init?with=none");
    expect(r).toEqual({
      ok: true,
      info: { variant: "simd", simd: true, relaxedSimd: false, threads: 1 },
    });
  });

  it("a later init({ module }) with the build the Worker imports returns the same backend", async () => {
    const r = await get("/init?with=module");
    expect(r).toEqual({
      ok: true,
      info: { variant: "simd", simd: true, relaxedSimd: false, threads: 1 },
    });
  });

  it("forward and backward equal Node's, bit for bit; a bad input errs and the layer goes on", async () => {
    const [C, F, k] = [3, 4, [3, 2, 3]];
    const xSize = [5, 4, 3, C, 2];
    const weightSize = [...k, F, C];
    const n = (size: number[]) => size.reduce((a, b) => a * b, 1);
    const c = {
      filter: k,
      numFilters: F,
      stride: [2, 1, 3],
      cropping: [1, 0, 1] as const,
      format: "SSSCB",
      xSize,
      x: list(n(xSize), 1),
      weightSize,
      weights: list(n(weightSize), 2),
      bias: list(F, 3),
      dy: [] as number[],
    };
    // Node: the same build, the same call.
    const layer = tc.transposedConv3dLayer(c.filter, F, {
      stride: c.stride,
      cropping: c.cropping,
      weights: tc.dlarray(Float32Array.from(c.weights), weightSize),
      bias: Float32Array.from(c.bias),
    });
    const X = tc.dlarray(Float32Array.from(c.x), xSize, c.format);
    const Y = layer.predict(X);
    c.dy = list(Y.numel, 4);
    const g = layer.backward(X, tc.dlarray(Float32Array.from(c.dy), Y.size, c.format));

    const res = await mf.dispatchFetch("http://worker/layer", {
      method: "POST",
      body: JSON.stringify(c),
    });
    const r = (await res.json()) as {
      ok: boolean;
      error?: string;
      result: {
        badChannels: string;
        y: { size: number[]; data: number[] };
        dLdX: { size: number[]; data: number[] };
        dLdW: { size: number[]; data: number[] };
        dLdB: { size: number[]; data: number[] };
      };
    };
    expect(r.error).toBeUndefined();
    const w = r.result;
    expect(w.badChannels).toMatch(/the input has 1 channels .* expected NumChannels = 3/);
    for (const [name, ours] of [
      ["y", Y],
      ["dLdX", g.dLdX],
      ["dLdW", g.dLdW],
      ["dLdB", g.dLdB],
    ] as const) {
      const theirs = w[name];
      expect(theirs.size, name).toEqual(ours.size);
      expect(theirs.data.length, name).toBe(ours.numel);
      expect(theirs.data.every(Number.isFinite), name).toBe(true);
      expect(Float32Array.from(theirs.data), name).toEqual(ours.data);
    }
  });
});
