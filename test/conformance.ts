// The package against independent oracles, run once per WASM variant (each variant in its own
// test file, since init() is per process): forward against onnxruntime-node (f32) and a plain
// f64 JS loop, gradients by the adjoint identity and finite differences, label orders, errors.

import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { dot, expectThrows, maxAbs, maxDiff, values } from "./helpers.js";
import { type OnnxConvTransposeArgs, onnxConvTranspose } from "./oracle/onnx.js";
import { referenceConvTranspose } from "./oracle/reference.js";
import { assertBuilt } from "./runtime-helpers.js";

type V3 = [number, number, number];

/** One case in ONNX terms (axes D, H, W); ours sees the same memory as W, H, D. */
interface Case {
  name: string;
  n: number;
  c: number;
  f: number;
  g: number;
  input: V3;
  k: V3;
  s: V3;
  d: V3;
  padBegin: V3;
  padEnd: V3;
}

const CASES: Case[] = [
  // The input goes into WASM memory in bricks (a range of depth with all channels and batch
  // items) through the output's buffer, which is shorter than the input: several passes.
  {
    name: "many channels, one filter, batch 2: input staged in bricks",
    n: 2,
    c: 40,
    f: 1,
    g: 1,
    input: [9, 7, 6],
    k: [4, 4, 4],
    s: [2, 2, 2],
    d: [1, 1, 1],
    padBegin: [1, 1, 1],
    padEnd: [1, 1, 1],
  },
  // dLdY is far longer than the gradient buffers: staged through a buffer of its own.
  {
    name: "few channels, many filters: dLdY staged through its own buffer",
    n: 1,
    c: 2,
    f: 24,
    g: 1,
    input: [4, 5, 3],
    k: [5, 5, 5],
    s: [3, 3, 3],
    d: [1, 1, 1],
    padBegin: [0, 0, 0],
    padEnd: [0, 0, 0],
  },
  {
    name: "gan k4 s2 crop1",
    n: 1,
    c: 5,
    f: 9,
    g: 1,
    input: [3, 4, 5],
    k: [4, 4, 4],
    s: [2, 2, 2],
    d: [1, 1, 1],
    padBegin: [1, 1, 1],
    padEnd: [1, 1, 1],
  },
  {
    name: "unet k2 s2 batch 2",
    n: 2,
    c: 8,
    f: 4,
    g: 1,
    input: [4, 3, 2],
    k: [2, 2, 2],
    s: [2, 2, 2],
    d: [1, 1, 1],
    padBegin: [0, 0, 0],
    padEnd: [0, 0, 0],
  },
  {
    name: "k3 s1 crop1",
    n: 1,
    c: 7,
    f: 17,
    g: 1,
    input: [5, 5, 5],
    k: [3, 3, 3],
    s: [1, 1, 1],
    d: [1, 1, 1],
    padBegin: [1, 1, 1],
    padEnd: [1, 1, 1],
  },
  {
    // One filter: rows in SIMD lanes, 16 per call along W (37 = 16 + 16 + 5), line ends in
    // the zero padding, taps whose D or H line is outside skipped.
    name: "one filter, long lines k4 s2 crop1",
    n: 2,
    c: 6,
    f: 1,
    g: 1,
    input: [3, 2, 37],
    k: [4, 4, 4],
    s: [2, 2, 2],
    d: [1, 1, 1],
    padBegin: [1, 1, 1],
    padEnd: [1, 1, 1],
  },
  {
    name: "three filters per group, long lines k[2 3 5] s[1 2 3] dilated",
    n: 1,
    c: 4,
    f: 6,
    g: 2,
    input: [2, 3, 23],
    k: [2, 3, 5],
    s: [1, 2, 3],
    d: [1, 2, 2],
    padBegin: [0, 1, 3],
    padEnd: [1, 0, 2],
  },
  {
    name: "MATLAB-example-like k[11 11 5] s[2 4 4]",
    n: 1,
    c: 3,
    f: 8,
    g: 1,
    input: [3, 4, 4],
    k: [5, 11, 11],
    s: [2, 4, 4],
    d: [1, 1, 1],
    padBegin: [0, 0, 0],
    padEnd: [0, 0, 0],
  },
  {
    name: "asymmetric crops, mixed strides",
    n: 2,
    c: 3,
    f: 5,
    g: 1,
    input: [3, 5, 4],
    k: [3, 4, 5],
    s: [3, 1, 2],
    d: [1, 1, 1],
    padBegin: [0, 2, 1],
    padEnd: [2, 0, 3],
  },
  {
    name: "dilation 2 and groups 3",
    n: 1,
    c: 6,
    f: 9,
    g: 3,
    input: [3, 4, 5],
    k: [3, 2, 3],
    s: [2, 3, 1],
    d: [2, 1, 2],
    padBegin: [1, 0, 2],
    padEnd: [0, 1, 1],
  },
  {
    name: "stride larger than kernel",
    n: 1,
    c: 2,
    f: 3,
    g: 1,
    input: [2, 3, 4],
    k: [1, 2, 2],
    s: [3, 3, 3],
    d: [1, 1, 1],
    padBegin: [0, 0, 1],
    padEnd: [0, 0, 0],
  },
  {
    name: "one output channel",
    n: 1,
    c: 9,
    f: 1,
    g: 1,
    input: [4, 4, 6],
    k: [4, 4, 4],
    s: [2, 2, 2],
    d: [1, 1, 1],
    padBegin: [1, 1, 1],
    padEnd: [1, 1, 1],
  },
];

const rev = (v: V3): V3 => [v[2], v[1], v[0]];

/** A column-major permuted copy: dimension k of the result is dimension order[k] of the source. */
function permuted(src: Float32Array | Float64Array, srcSize: readonly number[], order: number[]) {
  const size = order.map((d) => srcSize[d] as number);
  const strides = [1];
  for (let i = 1; i < srcSize.length; i++)
    strides.push((strides[i - 1] as number) * (srcSize[i - 1] as number));
  const data = new (src.constructor as Float32ArrayConstructor)(src.length);
  const idx = size.map(() => 0);
  for (let lin = 0; lin < src.length; lin++) {
    let at = 0;
    order.forEach((d, k) => {
      at += (idx[k] as number) * (strides[d] as number);
    });
    data[lin] = src[at] as number;
    for (let k = 0; k < size.length; k++) {
      idx[k] = (idx[k] as number) + 1;
      if ((idx[k] as number) < (size[k] as number)) break;
      idx[k] = 0;
    }
  }
  return { data, size };
}

export function conformanceSuite(variant: Tconv3d.Variant, threads: number): void {
  let T: typeof Tconv3d;

  beforeAll(async () => {
    assertBuilt();
    T = await import("tconv3d");
    await T.init({ variant, threads });
    expect(T.backendInfo()).toMatchObject({ variant, threads });
  });

  /** Builds a case's tensors (ONNX layouts) and our call on the same memory. */
  function setup(cs: Case, Ctor: Float32ArrayConstructor | Float64ArrayConstructor, seed: number) {
    const cg = cs.c / cs.g;
    const fg = cs.f / cs.g;
    const x = values(cs.n * cs.c * cs.input[0] * cs.input[1] * cs.input[2], seed, Ctor);
    const w = values(cs.c * fg * cs.k[0] * cs.k[1] * cs.k[2], seed + 1, Ctor);
    const b = values(cs.f, seed + 2, Ctor);
    const onnx: OnnxConvTransposeArgs = {
      x,
      xShape: [cs.n, cs.c, ...cs.input],
      w,
      wShape: [cs.c, fg, ...cs.k],
      b,
      strides: cs.s,
      pads: [...cs.padBegin, ...cs.padEnd],
      dilations: cs.d,
      group: cs.g,
    };
    const X = T.fromNCDHW(x, [cs.n, cs.c, ...cs.input]);
    const W = T.dlarray(w, [...rev(cs.k), fg, cg, cs.g]);
    const opts = {
      stride: rev(cs.s),
      dilationFactor: rev(cs.d),
      cropping: [rev(cs.padBegin), rev(cs.padEnd)] as [V3, V3],
    };
    return { onnx, X, W, b, opts };
  }

  describe(`forward (${variant}, ${threads} thread${threads > 1 ? "s" : ""})`, () => {
    it.each(CASES)("f32 matches onnxruntime-node: $name", async (cs) => {
      const { onnx, X, W, b, opts } = setup(cs, Float32Array, 11);
      const want = await onnxConvTranspose(onnx);
      const Y = T.dltranspconv(X, W, b, opts);
      expect(Y.format).toBe("SSSCB");
      expect(Y.toNCDHW().shape).toEqual(want.shape);
      // f32 tolerance: 1e-5 relative to the output's largest magnitude.
      expect(maxDiff(Y.data, want.data)).toBeLessThanOrEqual(1e-5 * maxAbs(want.data));
    });

    it.each(CASES)("f64 matches the f64 loop: $name", (cs) => {
      const { onnx, X, W, b, opts } = setup(cs, Float64Array, 23);
      const want = referenceConvTranspose(onnx);
      const Y = T.dltranspconv(X, W, b, opts);
      expect(Y.dtype).toBe("double");
      expect(maxDiff(Y.data, want.data)).toBeLessThanOrEqual(1e-12 * maxAbs(want.data));
    });

    it("any label order gives the same values (CSSSB, SCSBS, and channels-last interop)", () => {
      const cs = CASES.find((c) => c.name.startsWith("three filters per group")) as Case;
      const { X, W, b, opts } = setup(cs, Float32Array, 5);
      const Y = T.dltranspconv(X, W, b, opts);
      const nd = X.toNDHWC();
      const Xl = T.fromNDHWC(nd.data, nd.shape);
      const Yl = T.dltranspconv(Xl, W, b, opts);
      expect(Yl.format).toBe("CSSSB");
      expect(maxDiff(Yl.toNCDHW().data, Y.data)).toBe(0);
      // An odd order: permute X's canonical [S S S C B] into [S C S B S].
      const { data, size } = permuted(X.data, X.size, [0, 3, 1, 4, 2]);
      const Yo = T.dltranspconv(T.dlarray(data, size, "SCSBS"), W, b, opts);
      expect(Yo.format).toBe("SCSBS");
      expect(maxDiff(Yo.toCanonical().data, Y.data)).toBe(0);
    });

    it("the layer predicts what dltranspconv computes, and 'same' gives n*stride", () => {
      const layer = T.transposedConv3dLayer(3, 4, { stride: [2, 1, 3], cropping: "same" });
      const X = T.dlarray(values(5 * 4 * 3 * 2, 3), [5, 4, 3, 2], "SSSC");
      const Y = layer.predict(X);
      expect(Y.size).toEqual([10, 4, 9, 4]);
      expect(layer.numChannels).toBe(2);
      const ref = T.dltranspconv(
        X,
        layer.weights as Tconv3d.DlArray,
        (layer.bias as Tconv3d.DlArray).data,
        {
          stride: [2, 1, 3],
          cropping: layer.croppingSize,
        },
      );
      expect(maxDiff(Y.data, ref.data)).toBe(0);
      expect(layer.croppingSize).toEqual([
        [0, 1, 0],
        [1, 1, 0],
      ]);
    });
  });

  describe(`gradients (${variant})`, () => {
    it.each(CASES)("adjoint identity <T(x), y> = <x, Tᵀ(y)> in f64: $name", (cs) => {
      const { X, W, opts } = setup(cs, Float64Array, 31);
      const Y = T.dltranspconv(X, W, 0, opts);
      const R = T.dlarray(values(Y.numel, 37, Float64Array), Y.size, Y.format);
      const { dLdX } = T.dltranspconvBackward(X, W, R, opts);
      const lhs = dot(Y.data, R.data);
      const rhs = dot(X.data, dLdX.data);
      expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * (maxAbs(Y.data) * Y.numel + 1));
    });

    it.each(CASES)("finite differences of L = <Y, R> match dLdW and dLdB in f64: $name", (cs) => {
      const { X, W, b, opts } = setup(cs, Float64Array, 41);
      const Y = T.dltranspconv(X, W, b, opts);
      const R = T.dlarray(values(Y.numel, 43, Float64Array), Y.size, Y.format);
      const { dLdW, dLdB } = T.dltranspconvBackward(X, W, R, opts);
      expect(dLdW.size).toEqual(W.size.length === 6 ? W.size : [...W.size, 1]);
      const loss = (w: Float64Array, bb: Float64Array) =>
        dot(T.dltranspconv(X, T.dlarray(w, W.size), bb, opts).data, R.data);
      const h = 1e-3;
      for (const i of [0, Math.floor(W.numel / 2), W.numel - 1]) {
        const wp = Float64Array.from(W.data);
        const wm = Float64Array.from(W.data);
        wp[i] = (wp[i] as number) + h;
        wm[i] = (wm[i] as number) - h;
        const fd = (loss(wp, b as Float64Array) - loss(wm, b as Float64Array)) / (2 * h);
        expect(Math.abs(fd - (dLdW.data[i] as number))).toBeLessThanOrEqual(
          1e-8 * (1 + Math.abs(fd)),
        );
      }
      for (const j of [0, cs.f - 1]) {
        const bp = Float64Array.from(b);
        const bm = Float64Array.from(b);
        bp[j] = (bp[j] as number) + h;
        bm[j] = (bm[j] as number) - h;
        const fd = (loss(W.data as Float64Array, bp) - loss(W.data as Float64Array, bm)) / (2 * h);
        expect(Math.abs(fd - (dLdB.data[j] as number))).toBeLessThanOrEqual(
          1e-8 * (1 + Math.abs(fd)),
        );
      }
    });

    it("layer.backward gives gradients of the layer's own sizes, f32 close to f64", () => {
      const layer = T.transposedConv3dLayer([2, 3, 4], 5, {
        stride: 2,
        cropping: [
          [1, 0, 1],
          [0, 1, 2],
        ],
      });
      const x = values(4 * 5 * 6 * 3 * 2, 51);
      const X = T.dlarray(x, [4, 5, 6, 3, 2], "SSSCB");
      const Y = layer.predict(X);
      const dY = T.dlarray(values(Y.numel, 53), Y.size, Y.format);
      const g = layer.backward(X, dY);
      expect(g.dLdX.size).toEqual(X.size);
      expect(g.dLdW.size).toEqual((layer.weights as Tconv3d.DlArray).size);
      expect(g.dLdB.size).toEqual([1, 1, 1, 5]);
      const X64 = T.dlarray(Float64Array.from(x), X.size, "SSSCB");
      const g64 = layer.backward(X64, T.dlarray(Float64Array.from(dY.data), dY.size, dY.format));
      expect(g64.dLdX.dtype).toBe("double");
      for (const k of ["dLdX", "dLdW", "dLdB"] as const) {
        expect(maxDiff(g[k].data, g64[k].data)).toBeLessThanOrEqual(1e-5 * maxAbs(g64[k].data));
      }
    });
  });

  describe(`formats with time (${variant})`, () => {
    it("SSSCBT treats time steps as batch items; SSCBT convolves over time", () => {
      const W = T.dlarray(values(2 * 2 * 2 * 3 * 2, 61), [2, 2, 2, 3, 2]);
      const x = values(3 * 3 * 3 * 2 * 2 * 4, 63);
      const Y6 = T.dltranspconv(T.dlarray(x, [3, 3, 3, 2, 2, 4], "SSSCBT"), W, 0, { stride: 2 });
      const Y5 = T.dltranspconv(T.dlarray(x, [3, 3, 3, 2, 8], "SSSCB"), W, 0, { stride: 2 });
      expect(Y6.size).toEqual([6, 6, 6, 3, 2, 4]);
      expect(maxDiff(Y6.data, Y5.data)).toBe(0);
      // SSCBT [3 3 C2 B2 T5]: T is the third convolution axis, the same as SSSCB [3 3 5 2 2].
      const xt = values(3 * 3 * 2 * 2 * 5, 65);
      const Yt = T.dltranspconv(T.dlarray(xt, [3, 3, 2, 2, 5], "SSCBT"), W, 0, { stride: 2 });
      expect(Yt.size).toEqual([6, 6, 3, 2, 10]);
      const moved = permuted(xt, [3, 3, 2, 2, 5], [0, 1, 4, 2, 3]);
      const Ys = T.dltranspconv(T.dlarray(moved.data, moved.size, "SSSCB"), W, 0, { stride: 2 });
      expect(maxDiff(permuted(Yt.data, Yt.size, [0, 1, 4, 2, 3]).data, Ys.data)).toBe(0);
      // SSSBCT with B and T apart in memory cannot fold into one batch stride: a canonical copy.
      const xb = values(3 * 3 * 3 * 2 * 2 * 3, 67);
      const Yb = T.dltranspconv(T.dlarray(xb, [3, 3, 3, 2, 2, 3], "SSSBCT"), W, 0, { stride: 2 });
      expect(Yb.format).toBe("SSSBCT");
      const canon = permuted(xb, [3, 3, 3, 2, 2, 3], [0, 1, 2, 4, 3, 5]);
      const Yc = T.dltranspconv(T.dlarray(canon.data, canon.size, "SSSCBT"), W, 0, { stride: 2 });
      expect(maxDiff(permuted(Yb.data, Yb.size, [0, 1, 2, 4, 3, 5]).data, Yc.data)).toBe(0);
    });
  });

  describe(`random shapes through every tile remainder (${variant})`, () => {
    // Channel counts and row lengths around the 4x8 tile, strides 1-3, crops, dilation, groups.
    const CH = [1, 2, 3, 4, 5, 7, 8, 9, 12, 17];
    function randomCase(seed: number): Case {
      const r = values(32, seed, Float64Array).map((v) => (v + 1) / 2);
      let at = 0;
      const pick = (n: number) => Math.min(n - 1, Math.floor((r[at++] as number) * n));
      const g = 1 + pick(3);
      const k: V3 = [1 + pick(5), 1 + pick(5), 1 + pick(4)];
      const s: V3 = [1 + pick(3), 1 + pick(3), 1 + pick(3)];
      const d: V3 = [1 + pick(2), 1, 1 + pick(2)];
      const input: V3 = [1 + pick(4), 1 + pick(4), 1 + pick(9)];
      const ke = k.map((kk, a) => (d[a] as number) * (kk - 1) + 1);
      const padBegin = ke.map((e) => pick(e)) as V3;
      const padEnd = ke.map((e, a) =>
        Math.min(
          pick(e),
          (s[a] as number) * ((input[a] as number) - 1) + e - (padBegin[a] as number) - 1,
        ),
      ) as V3;
      return {
        name: `random ${seed}`,
        n: 1 + pick(2),
        c: g * (CH[pick(CH.length)] as number),
        f: g * (CH[pick(CH.length)] as number),
        g,
        input,
        k,
        s,
        d,
        padBegin,
        padEnd,
      };
    }
    const seeds = Array.from({ length: 24 }, (_, i) => 1000 + i);

    it.each(seeds)("forward f32 and f64 match the f64 loop, seed %i", (seed) => {
      const cs = randomCase(seed);
      for (const Ctor of [Float32Array, Float64Array]) {
        const { onnx, X, W, b, opts } = setup(cs, Ctor, seed);
        const want = referenceConvTranspose(onnx);
        const Y = T.dltranspconv(X, W, b, opts);
        const tol = Ctor === Float32Array ? 1e-5 : 1e-12;
        expect(
          maxDiff(Y.data, want.data),
          `${JSON.stringify(cs)} ${Ctor.name}`,
        ).toBeLessThanOrEqual(tol * maxAbs(want.data));
      }
    });

    it.each(seeds)(
      "dX, dW, dB satisfy <grad, E> = <forward with E, dY> against the f64 loop, seed %i",
      (seed) => {
        const cs = randomCase(seed);
        for (const Ctor of [Float32Array, Float64Array]) {
          const { onnx, X, W, opts } = setup(cs, Ctor, seed + 7);
          const Y = T.dltranspconv(X, W, 0, opts);
          const dY = T.dlarray(values(Y.numel, seed + 9, Ctor), Y.size, Y.format);
          const { dLdX, dLdW, dLdB } = T.dltranspconvBackward(X, W, dY, opts);
          const tol = Ctor === Float32Array ? 1e-5 : 1e-12;
          // Probes: a random input (for dX) and random weights (for dW) through the f64 loop.
          const ex = values(X.numel, seed + 11, Float64Array);
          const ew = values(W.numel, seed + 13, Float64Array);
          const viaX = referenceConvTranspose({ ...onnx, x: ex, b: undefined });
          const viaW = referenceConvTranspose({ ...onnx, w: ew, b: undefined });
          const scale = (a: ArrayLike<number>, c: ArrayLike<number>) =>
            maxAbs(a) * maxAbs(c) * a.length;
          expect(Math.abs(dot(dLdX.data, ex) - dot(viaX.data, dY.data))).toBeLessThanOrEqual(
            tol * scale(viaX.data, dY.data),
          );
          expect(Math.abs(dot(dLdW.data, ew) - dot(viaW.data, dY.data))).toBeLessThanOrEqual(
            tol * scale(viaW.data, dY.data),
          );
          // dB[f] is the sum of dY over the f-th channel (NCDHW: contiguous per (n, f)).
          const per = Y.numel / (cs.n * cs.f);
          for (let f = 0; f < cs.f; f++) {
            let sum = 0;
            for (let n = 0; n < cs.n; n++)
              for (let i = 0; i < per; i++) sum += dY.data[(n * cs.f + f) * per + i] as number;
            expect(Math.abs((dLdB.data[f] as number) - sum)).toBeLessThanOrEqual(tol * per * cs.n);
          }
        }
      },
    );
  });

  describe(`errors (${variant})`, () => {
    it("bad input fails before any work, names the argument, and the layer still works", () => {
      const layer = T.transposedConv3dLayer(3, 4, { numChannels: 2 });
      const good = T.dlarray(values(3 * 3 * 3 * 2, 71), [3, 3, 3, 2], "SSSC");
      const wrongC = T.dlarray(values(3 * 3 * 3 * 5, 73), [3, 3, 3, 5], "SSSC");
      expectThrows(T, () => layer.predict(wrongC), "TCONV3D_SIZE", /5 channels.*NumChannels = 2/);
      const cropped = T.transposedConv3dLayer(2, 1, {
        cropping: [
          [3, 0, 0],
          [1, 0, 0],
        ],
      });
      // The core refuses it; the package's error says so.
      expectThrows(
        T,
        () => cropped.predict(good),
        "TCONV3D_SIZE",
        /Cropping along spatial dimension 1 is 3\+1.*uncropped output length 4/,
      );
      expectThrows(
        T,
        () => layer.predict(T.dlarray(good.data, [3, 3, 3, 2], "SSCU")),
        "TCONV3D_FORMAT",
        /format "SSCU"/,
      );
      const Y = layer.predict(good);
      expectThrows(
        T,
        () => layer.backward(good, T.dlarray(Y.data.subarray(0, 400), [5, 5, 4, 4], "SSSC")),
        "TCONV3D_SIZE",
        /dLdY must be a dlarray of size \[5,5,5,4\]/,
      );
      expect(layer.predict(good).data).toEqual(Y.data);
      expectThrows(
        T,
        () => T.dltranspconv(good, good, 0, { stride: 0 }),
        "TCONV3D_ARGUMENT",
        /Stride must be a positive integer/,
      );
      expectThrows(
        T,
        () => T.dltranspconv(good, T.dlarray(new Float32Array(8), [2, 2, 2]), [1, 2], {}),
        "TCONV3D_SIZE",
        /bias must be a scalar or 1 values/,
      );
    });
  });
}
