// WasmArray: tensors in WASM memory, read and written in place by the kernels. Against the
// same calls on JS arrays, bit for bit, NaN-poisoned outputs, in every path (direct use of a
// channels-last input, reorder of another layout, in place over an input, the canonical copy
// of an unfoldable format, the functional forms); views made fresh after a memory growth;
// dispose frees, and a disposed array fails with a clear error that leaves the layer working.
// Run once per build variant: `simd` (memory not shared: growth detaches views) and
// `simd-threads` (shared memory).

import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { expectGradients, expectThrows, thrown, values } from "./helpers.js";
import { assertBuilt, loadRuntime } from "./runtime-helpers.js";

type Variant = "simd" | "simd-threads";

/** The message of what `f` throws, prefixed with the error's class name. */
function message(f: () => unknown): string {
  const e = thrown(f);
  return `${e.name}: ${e.message}`;
}

export function wasmArraySuite(variant: Variant, threads: number): void {
  let T: typeof Tconv3d;

  beforeAll(async () => {
    assertBuilt();
    T = await import("tconv3d");
    await T.init({ variant, threads });
  });

  /** A WasmArray of the size, format and dtype of `like`, holding `fill` (or NaN). */
  function resident<A extends Tconv3d.FloatArray>(
    like: Tconv3d.DlArray<A>,
    fill?: Tconv3d.FloatArray,
  ): Tconv3d.WasmArray<Tconv3d.SameDtype<A>> {
    const W = T.wasmArray(like.size, like.format, like.dtype) as Tconv3d.WasmArray<
      Tconv3d.SameDtype<A>
    >;
    if (fill === undefined) W.data.fill(Number.NaN);
    else W.data.set(fill);
    return W;
  }

  /** One table of cases: input size and format, layer, dtype. */
  const CASES = [
    { name: "SSSCB f32", size: [5, 4, 3, 3, 2], format: "SSSCB", k: 3, f: 4, s: 2, f64: false },
    // Channels-last: the backward reads X and dLdY where they are.
    { name: "CSSSB f64", size: [3, 5, 4, 3, 2], format: "CSSSB", k: 2, f: 5, s: 2, f64: true },
    { name: "CSSS 1 filter", size: [7, 6, 5, 4], format: "CSSS", k: 4, f: 1, s: 2, f64: false },
    // Both batch axes long and apart: computed on a canonical copy, then permuted.
    { name: "SSSTCB", size: [4, 3, 3, 2, 3, 2], format: "SSSTCB", k: 3, f: 2, s: 1, f64: false },
  ] as const;

  describe(`WasmArray (${variant})`, () => {
    for (const c of CASES) {
      it(`predict and backward in WASM memory equal JS arrays: ${c.name}`, () => {
        const Ctor = c.f64 ? Float64Array : Float32Array;
        const n = c.size.reduce((p, q) => p * q, 1);
        const X = new T.DlArray(values(n, 3, Ctor), c.size, c.format);
        const layer = T.transposedConv3dLayer(c.k, c.f, { stride: c.s, cropping: 1 });
        const Y = layer.predict(X);
        const dLdY = new T.DlArray(values(Y.numel, 5, Ctor), Y.size, Y.format);
        const g = layer.backward(X, dLdY);

        const Xw = resident(X, X.data);
        const Yw = resident(Y);
        expect(layer.predict(Xw, { out: Yw })).toBe(Yw);
        expect(Yw.data).toEqual(Y.data);
        expect(layer.predict(Xw).data).toEqual(Y.data); // into a new JS array
        const Yj = new T.DlArray(new Ctor(Y.numel).fill(Number.NaN), Y.size, Y.format);
        expect(layer.predict(X, { out: Yw }).data).toEqual(Y.data); // JS in, WASM out
        expect(layer.predict(Xw, { out: Yj }).data).toEqual(Y.data); // WASM in, JS out

        const dYw = resident(dLdY, dLdY.data);
        const into = { dLdX: resident(g.dLdX), dLdW: resident(g.dLdW), dLdB: resident(g.dLdB) };
        expectGradients(layer.backward(Xw, dYw, { out: into }), g, into);
        // Mixed: WASM inputs into new JS arrays, JS inputs into WASM outputs.
        expectGradients(layer.backward(Xw, dYw), g);
        into.dLdW.data.fill(Number.NaN);
        expect(layer.backward(X, dLdY, { out: { dLdW: into.dLdW } }).dLdW.data).toEqual(
          g.dLdW.data,
        );
        // The inputs were only read.
        expect(Xw.data).toEqual(X.data);
        expect(dYw.data).toEqual(dLdY.data);
        for (const a of [Xw, Yw, dYw, into.dLdX, into.dLdW, into.dLdB]) a.dispose();
      });
    }

    it("the core's reorder, channels-first to channels-last (register transposes), every edge", async () => {
      // Uploads of channels-first inputs go through it; extents around the f32 (4) and f64 (2)
      // transpose blocks and the 16-channel groups, in a destination with spare elements.
      const { wasm } = await loadRuntime();
      const g = wasm().exports as unknown as Record<string, unknown>;
      type Buf = { free(): void; ptr(): number; len(): number };
      type Reorder = (s: Buf, sl: Uint32Array, d: Buf, dl: Uint32Array, e: Uint32Array) => void;
      for (const [dtype, Ctor, bits] of [
        ["single", Float32Array, 32],
        ["double", Float64Array, 64],
      ] as const) {
        const Buffer = g[`BufferF${bits}`] as new (n: number) => Buf;
        const reorder = g[`reorder_f${bits}`] as Reorder;
        const view = (b: Buf) =>
          dtype === "single" ? wasm().f32(b.ptr(), b.len()) : wasm().f64(b.ptr(), b.len());
        for (const [n0, n1, n2, C, N] of [
          [1, 1, 1, 1, 1],
          [3, 2, 2, 5, 1],
          [4, 3, 1, 4, 2],
          [5, 2, 3, 17, 1],
          [9, 1, 2, 16, 1],
          [8, 3, 2, 33, 2],
          [2, 70, 2, 3, 1],
        ] as const) {
          const vox = n0 * n1 * n2;
          const len = vox * C * N;
          const src = new Buffer(len);
          const dst = new Buffer(len + 7);
          view(src).set(values(len, n0 * 7 + C, Ctor));
          view(dst).fill(Number.NaN);
          const from = Uint32Array.of(vox * C, 1, n0, n0 * n1, vox, 0);
          const to = Uint32Array.of(vox * C, C, C * n0, C * n0 * n1, 1, 3);
          reorder(src, from, dst, to, Uint32Array.of(N, n0, n1, n2, C));
          const [x, y] = [view(src), view(dst)];
          const want = new Ctor(len + 7).fill(Number.NaN);
          for (let n = 0; n < N; n++)
            for (let c = 0; c < C; c++)
              for (let i = 0; i < vox; i++)
                want[3 + n * vox * C + i * C + c] = x[n * vox * C + c * vox + i] as number;
          expect(y, `${dtype} [${n0} ${n1} ${n2}] C ${C} N ${N}`).toEqual(want);
          src.free();
          dst.free();
        }
      }
    });

    it('out: "wasm" returns new WasmArrays', () => {
      const X = T.dlarray(values(4 * 3 * 5 * 2 * 2, 12), [4, 3, 5, 2, 2], "SSSCB");
      const layer = T.transposedConv3dLayer(3, 5, { stride: [2, 1, 2], cropping: 1 });
      const Y = layer.predict(X);
      const Yw = layer.predict(X, { out: "wasm" });
      expect(Yw).toBeInstanceOf(T.WasmArray);
      expect(Yw.size).toEqual(Y.size);
      expect(Yw.format).toBe(Y.format);
      expect(Yw.data).toEqual(Y.data);
      const g = layer.backward(X, Y);
      const h = layer.backward(X, Yw, { out: "wasm" });
      for (const k of ["dLdX", "dLdW", "dLdB"] as const) {
        expect(h[k]).toBeInstanceOf(T.WasmArray);
        expect(h[k].size).toEqual(g[k].size);
        expect(h[k].data).toEqual(g[k].data);
      }
      const w = layer.weights as Tconv3d.DlArray;
      const Z = T.dltranspconv(X, w, 0, { stride: [2, 1, 2], cropping: 1, out: "wasm" });
      expect(Z).toBeInstanceOf(T.WasmArray);
      expectThrows(
        T,
        () => layer.predict(X, { out: "js" as "wasm" }),
        "TCONV3D_ARGUMENT",
        /^transposedConv3dLayer: options\.out must be "wasm" or a dlarray/,
      );
      expect(message(() => layer.backward(X, Y, { out: "Wasm" as "wasm" }))).toMatch(
        /options\.out must be "wasm" or an object/,
      );
    });

    it("in place: the input is the output (forward), or a gradient (backward)", () => {
      // Channels-last, so that an input not written would be read where it is.
      const X = T.dlarray(values(3 * 4 * 4 * 3, 8), [3, 4, 4, 3], "CSSS");
      const layer = T.transposedConv3dLayer(3, 3, { cropping: "same" });
      const Y = layer.predict(X);
      const g = layer.backward(X, Y);
      const Xw = resident(X, X.data);
      expect(layer.predict(Xw, { out: Xw }).data).toEqual(Y.data);
      Xw.data.set(X.data);
      const dYw = resident(Y, Y.data);
      // dLdX over X: X must still be read (for dLdW) after dLdX is written.
      layer.backward(Xw, dYw, { out: { dLdX: Xw } });
      expect(Xw.data).toEqual(g.dLdX.data);
      Xw.data.set(X.data);
      // dLdX over dLdY.
      const dW = resident(g.dLdW);
      layer.backward(Xw, dYw, { out: { dLdX: dYw, dLdW: dW } });
      expect(dYw.data).toEqual(g.dLdX.data);
      expect(dW.data).toEqual(g.dLdW.data);
    });

    it("functional forms: dataFormat on an unformatted WasmArray, weights in WASM memory", () => {
      const X = T.dlarray(values(4 * 3 * 5 * 2, 9), [4, 3, 5, 2]);
      const w = T.dlarray(values(2 * 2 * 2 * 3 * 2, 4), [2, 2, 2, 3, 2]);
      const opts = { stride: 2, dataFormat: "SSSC" };
      const Y = T.dltranspconv(X, w, 0.5, opts);
      const g = T.dltranspconvBackward(X, w, Y.stripdims(), opts);
      const Xw = resident(X, X.data);
      const ww = resident(w, w.data);
      const Yw = resident(Y);
      expect(T.dltranspconv(Xw, ww, 0.5, { ...opts, out: Yw })).toBe(Yw);
      expect(Yw.data).toEqual(Y.data);
      const dW = resident(g.dLdW);
      const h = T.dltranspconvBackward(Xw, ww, Yw.stripdims(), { ...opts, out: { dLdW: dW } });
      expect(h.dLdW).toBe(dW);
      expect(dW.data).toEqual(g.dLdW.data);
      expect(h.dLdX.data).toEqual(g.dLdX.data);
      expect(Yw.stripdims()).toBeInstanceOf(T.WasmArray);
    });

    it("data stays valid across a memory growth; values kept", () => {
      const X = T.dlarray(values(2 * 3 * 4 * 5, 2), [2, 3, 4, 5], "SSSC");
      const Xw = resident(X, X.data);
      const before = Xw.data;
      const bytes = before.buffer.byteLength;
      // Large enough to grow the memory whatever it held.
      const big = T.wasmArray([bytes / 4 + 1_000_000], "", "single");
      expect(big.data.buffer.byteLength).toBeGreaterThan(bytes);
      // A view taken before the growth: detached where memory is not shared, valid where it is.
      expect(before.length).toBe(variant === "simd" ? 0 : X.numel);
      expect(Xw.data).toEqual(X.data);
      const layer = T.transposedConv3dLayer(2, 3, { stride: 2 });
      expect(layer.predict(Xw).data).toEqual(layer.predict(X).data);
      big.dispose();
    });

    it("dispose frees the memory: allocating and disposing 100 MB repeatedly does not grow it", () => {
      const first = T.wasmArray([25_000_000]);
      const bytes = first.data.buffer.byteLength;
      first.dispose();
      for (let i = 0; i < 5; i++) {
        const a = T.wasmArray([25_000_000]);
        expect(a.data.buffer.byteLength).toBe(bytes);
        a.dispose();
      }
    });

    it("disposed arrays and bad arguments fail clearly; the layer works afterwards", () => {
      const X = T.dlarray(values(3 * 3 * 3 * 2, 6), [3, 3, 3, 2], "SSSC");
      const layer = T.transposedConv3dLayer(2, 2, { stride: 2 });
      const Y = layer.predict(X);
      const Xw = resident(X, X.data);
      const Yw = resident(Y);
      Xw.dispose();
      Xw.dispose(); // idempotent
      expect(Xw.disposed).toBe(true);
      expect(Yw.disposed).toBe(false);
      const disposed = "TCONV3D_DISPOSED";
      expectThrows(T, () => Xw.data, disposed, /disposed/);
      expectThrows(T, () => layer.predict(Xw), disposed, /X is a disposed WasmArray/);
      expectThrows(T, () => layer.backward(Xw, Y), disposed, /X is a disposed WasmArray/);
      Yw.dispose();
      expectThrows(
        T,
        () => layer.predict(X, { out: Yw }),
        disposed,
        /^transposedConv3dLayer: options\.out is a disposed WasmArray/,
      );
      expectThrows(T, () => layer.backward(X, Yw), disposed, /dLdY is a disposed WasmArray/);
      expectThrows(T, () => T.dltranspconv(X, Yw, 0), disposed, /weights is a disposed WasmArray/);
      expectThrows(
        T,
        () => T.wasmArray([2, 3], "SSSC", "half" as "single"),
        "TCONV3D_ARGUMENT",
        /^wasmArray: dtype must be "single" or "double", got "half"/,
      );
      expectThrows(T, () => T.wasmArray([2, -1]), "TCONV3D_ARGUMENT", /size must be an array/);
      expectThrows(
        T,
        () => T.wasmArray([2, 3, 4], "SC"),
        "TCONV3D_FORMAT",
        /format "SC" has 2 labels/,
      );
      expectThrows(T, () => T.wasmArray([2 ** 31]), "TCONV3D_MEMORY", /at most what 4 GiB/);
      // Passes the size check, but cannot fit next to what the memory already holds: the
      // core's allocation failure, translated.
      const e = expectThrows(
        T,
        () => T.wasmArray([2 ** 30 - 1]),
        "TCONV3D_MEMORY",
        /^wasmArray: size \[1073741823\]: cannot allocate 1073741823 elements \(4294967292 bytes\) in WASM memory/,
      );
      expect(e.cause).toBeInstanceOf(Error);
      expect(layer.predict(X).data).toEqual(Y.data);
      const Zw = resident(Y);
      expect(layer.predict(resident(X, X.data), { out: Zw }).data).toEqual(Y.data);
    });

    it("a plain dlarray over a WasmArray's view as out", () => {
      const X = T.dlarray(values(3 * 3 * 3 * 2, 7), [3, 3, 3, 2], "SSSC");
      const layer = T.transposedConv3dLayer(2, 2, { stride: 2 });
      const Y = layer.predict(X);
      const Yw = resident(Y);
      const wrapped = new T.DlArray(Yw.data, Y.size, Y.format);
      if (variant === "simd") {
        // Its view could be detached by the call's own allocations: refused.
        expect(message(() => layer.predict(X, { out: wrapped }))).toMatch(
          /options\.out is a view of WASM memory wrapped in a plain dlarray; pass the WasmArray itself/,
        );
      } else {
        // Shared memory never detaches: it is an ordinary output.
        expect(layer.predict(X, { out: wrapped }).data).toEqual(Y.data);
      }
      expect(layer.predict(X).data).toEqual(Y.data);
    });
  });
}
