// Seeded fuzzing of the public API with extreme but valid geometries (strides and dilations far
// past the filter, crops that leave one sample, one-voxel inputs, groups, both precisions) and
// with WebAssembly memory nearly exhausted: every call gives a result or a Tconv3dError (never
// a WebAssembly RuntimeError, a RangeError from a typed array, or TCONV3D_INTERNAL), and the
// module keeps working after each error. Results are checked for size and finiteness here;
// their values are checked against references elsewhere.
import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { thrown } from "./helpers.js";
import { assertBuilt, loadRuntime, type Runtime } from "./runtime-helpers.js";

let T: typeof Tconv3d;
let rt: Runtime;

beforeAll(async () => {
  assertBuilt();
  T = await import("tconv3d");
  rt = await loadRuntime();
  await T.init({ variant: "simd-threads", threads: 2 });
});

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Runs `f`; a thrown value must be a Tconv3dError other than an internal one. */
function resultOrTypedError<R>(what: string, f: () => R): R | undefined {
  try {
    return f();
  } catch (e) {
    expect(e, `${what}: ${String(e)}`).toBeInstanceOf(T.Tconv3dError);
    expect((e as Tconv3d.Tconv3dError).code, `${what}: ${String(e)}`).not.toBe("TCONV3D_INTERNAL");
    return undefined;
  }
}

const CASES = 150;

describe("seeded fuzzing: result or typed error, never a trap", () => {
  it(`${CASES} extreme geometries, forward and backward, f32 and f64`, () => {
    const r = rng(20261206);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    const pick = <V>(xs: readonly V[]): V => xs[Math.floor(r() * xs.length)] as V;
    let results = 0;
    for (let i = 0; i < CASES; i++) {
      const g = pick([1, 1, 2]);
      const C = g * int(1, 3);
      const F = g * int(1, 3);
      const k = [int(1, 4), int(1, 3), int(1, 3)];
      const stride = [pick([1, 2, 7, 64, 1000, 65_536]), pick([1, 3, 300]), pick([1, 2])];
      const dilation = [pick([1, 1, 5, 100]), 1, pick([1, 2])];
      const n = [pick([1, 1, 2, 3]), pick([1, 2]), pick([1, 2])];
      const cropping = pick<Tconv3d.CroppingInput>(["same", 0, [int(0, 3), 0, 1]]);
      const dtype = pick(["single", "double"] as const);
      const what = JSON.stringify({ g, C, F, k, stride, dilation, n, cropping, dtype });
      const layer = resultOrTypedError(what, () =>
        T.transposedConv3dLayer(k, F, { stride, dilationFactor: dilation, cropping, numGroups: g }),
      );
      if (layer === undefined) continue;
      const len = n.reduce((p, q) => p * q, 1) * C * 2;
      const data = new Float64Array(len).map(() => r() - 0.5);
      const X = T.dlarray(
        dtype === "single" ? Float32Array.from(data) : data,
        [...n, C, 2],
        "SSSCB",
      );
      const Y = resultOrTypedError(what, () => layer.predict(X));
      if (Y === undefined) continue;
      expect(Y.size.slice(3), what).toEqual([F, 2]);
      expect(Y.data.every(Number.isFinite), what).toBe(true);
      const grads = resultOrTypedError(what, () => layer.backward(X, Y));
      if (grads !== undefined) {
        expect(grads.dLdX.size, what).toEqual(X.size);
        expect(grads.dLdW.data.every(Number.isFinite), what).toBe(true);
      }
      results++;
    }
    // Most cases are valid geometries that compute.
    expect(results).toBeGreaterThan(CASES / 2);
  });

  it("with WebAssembly memory nearly full: typed errors, and calls work again after", () => {
    const held: Tconv3d.WasmArray[] = [];
    const layer = T.transposedConv3dLayer(3, 8, { stride: 2 });
    const X = T.dlarray(new Float32Array(6 * 6 * 6 * 4).fill(0.25), [6, 6, 6, 4], "SSSC");
    const want = layer.predict(X).data.slice();
    try {
      // The largest array memory takes (wasm32 allocations stop below 2 GiB), found in 64 MiB
      // steps down, then 64 MiB ones until refused: WasmArrays alone stop at their 2 GiB bound,
      // and the calls below need more than the memory left.
      for (let mib = 2047; mib > 0 && held.length === 0; mib -= 64) {
        const a = resultOrTypedError("wasmArray", () => T.wasmArray([mib * 2 ** 18]));
        if (a !== undefined) held.push(a);
      }
      for (;;) {
        const a = resultOrTypedError("wasmArray", () => T.wasmArray([2 ** 24]));
        if (a === undefined) break;
        held.push(a);
      }
      expect(held.length).toBeGreaterThan(0);
      // A call whose output needs 2.1 GiB, more than is left, fails with a MemoryError; one of
      // 1 GiB fits; small calls fit.
      const big = T.transposedConv3dLayer(2, 32, { stride: 4, numChannels: 1 });
      const call = (side: number) => () =>
        big.predict(T.dlarray(new Float32Array(side ** 3), [side, side, side, 1], "SSSC"));
      expect(thrown(call(64))).toBeInstanceOf(T.MemoryError);
      // Outputs from 2 GiB down to 1 MiB: somewhere the output still fits and the input's copy,
      // the packed weights or the plan do not (memory at its 4 GiB end, a few MiB left), and
      // each step fails where it fails, typed.
      for (let side = 64; side >= 4; side -= 2) {
        resultOrTypedError(`predict, ${side}^3 input`, call(side));
        resultOrTypedError(`backward, ${side}^3 input`, () => {
          const x = T.dlarray(new Float32Array(side ** 3), [side, side, side, 1], "SSSC");
          return big.backward(x, big.predict(x));
        });
      }
      // The memory grew past 3 GiB, to where growing it further was refused: allocations there
      // fail part-way through a call.
      expect(rt.wasm().buffer().byteLength).toBeGreaterThan(3 * 2 ** 30);
      resultOrTypedError("predict, small", () => layer.predict(X));
    } finally {
      for (const a of held) a.dispose();
    }
    expect(layer.predict(X).data).toEqual(want);
  });
});
