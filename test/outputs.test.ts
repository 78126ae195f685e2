// The `out` options: results written into caller-provided arrays equal the new arrays' bit for
// bit, whatever the arrays held before (NaN-poisoned here), in every layout path (in place,
// and through the canonical copy of a format whose batch axes do not fold), in place over an
// input, and for the functional forms; bad outputs (wrong size, format or dtype; sharing
// memory with the weights or with each other) fail before any work, naming the argument, the
// value and the expectation, and leave the layer and the arrays as they were.

import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { expectGradients, expectThrows, values } from "./helpers.js";
import { simdPackage } from "./runtime-helpers.js";

let T: typeof Tconv3d;

beforeAll(async () => {
  T = await simdPackage();
});

/** An array of the size, format and dtype of `like`, every element NaN. */
function poisoned<A extends Tconv3d.FloatArray>(
  like: Tconv3d.DlArray<A>,
): Tconv3d.DlArray<Tconv3d.SameDtype<A>> {
  const Ctor = like.dtype === "single" ? Float32Array : Float64Array;
  const data = new Ctor(like.numel).fill(Number.NaN) as Tconv3d.SameDtype<A>;
  return new T.DlArray(data, like.size, like.format);
}

/** One table of cases: input size and format, layer, dtype. */
const CASES = [
  { name: "SSSCB f32", size: [5, 4, 3, 3, 2], format: "SSSCB", k: 3, f: 4, stride: 2, f64: false },
  { name: "CSSSB f64", size: [3, 5, 4, 3, 2], format: "CSSSB", k: 2, f: 5, stride: 2, f64: true },
  // Both batch axes long and apart: computed on a canonical copy, then permuted.
  {
    name: "SSSTCB (unfoldable)",
    size: [4, 3, 3, 2, 3, 2],
    format: "SSSTCB",
    k: 3,
    f: 2,
    stride: 1,
    f64: false,
  },
] as const;

describe("out: same values as new arrays", () => {
  for (const c of CASES) {
    it(`predict and backward, ${c.name}`, () => {
      const Ctor = c.f64 ? Float64Array : Float32Array;
      const n = c.size.reduce((p, q) => p * q, 1);
      const X = new T.DlArray(values(n, 3, Ctor), c.size, c.format);
      const layer = T.transposedConv3dLayer(c.k, c.f, { stride: c.stride, cropping: 1 });
      const Y = layer.predict(X);
      const out = poisoned(Y);
      expect(layer.predict(X, { out })).toBe(out);
      expect(out.data).toEqual(Y.data);
      // Twice into the same array: nothing of the first call is left over or added.
      out.data.fill(Number.NaN);
      layer.predict(X, { out });
      expect(out.data).toEqual(Y.data);

      const dLdY = new T.DlArray(values(Y.numel, 5, Ctor), Y.size, Y.format);
      const g = layer.backward(X, dLdY);
      const into = { dLdX: poisoned(g.dLdX), dLdW: poisoned(g.dLdW), dLdB: poisoned(g.dLdB) };
      expectGradients(layer.backward(X, dLdY, { out: into }), g, into);
      // Only some: the others are new arrays.
      const dW = poisoned(g.dLdW);
      const k = layer.backward(X, dLdY, { out: { dLdW: dW } });
      expect(k.dLdW).toBe(dW);
      expectGradients(k, g);
    });
  }

  it("in place over the input (output of the input's size)", () => {
    const X = T.dlarray(values(4 * 4 * 3 * 3, 8), [4, 4, 3, 3], "SSSC");
    const layer = T.transposedConv3dLayer(3, 3, { cropping: "same" });
    const Y = layer.predict(X);
    const dLdY = T.dlarray(values(Y.numel, 9), Y.size, "SSSC");
    const g = layer.backward(X, dLdY);
    // dLdX over dLdY: dLdY is read whole before dLdX is written.
    const dy = T.dlarray(Float32Array.from(dLdY.data), Y.size, "SSSC");
    expect(layer.backward(X, dy, { out: { dLdX: dy } }).dLdX.data).toEqual(g.dLdX.data);
    // Y over X.
    expect(layer.predict(X, { out: X }).data).toEqual(Y.data);
  });

  it("the functional forms", () => {
    const X = T.dlarray(values(3 * 4 * 5 * 2, 4), [3, 4, 5, 2], "SSSC");
    const W = T.dlarray(values(2 * 2 * 2 * 3 * 2, 6), [2, 2, 2, 3, 2]);
    const opts = {
      stride: [2, 1, 2],
      cropping: [
        [1, 0, 0],
        [0, 0, 1],
      ],
    } as const;
    const Y = T.dltranspconv(X, W, [0.5, -1, 2], opts);
    const out = poisoned(Y);
    expect(T.dltranspconv(X, W, [0.5, -1, 2], { ...opts, out })).toBe(out);
    expect(out.data).toEqual(Y.data);
    const dLdY = T.dlarray(values(Y.numel, 7), Y.size, "SSSC");
    const g = T.dltranspconvBackward(X, W, dLdY, opts);
    const dLdW = poisoned(g.dLdW);
    const h = T.dltranspconvBackward(X, W, dLdY, { ...opts, out: { dLdW } });
    expect(h.dLdW).toBe(dLdW);
    expect(dLdW.data).toEqual(g.dLdW.data);
  });
});

describe("out: bad arrays fail before any work", () => {
  const setup = () => {
    const X = T.dlarray(values(3 * 3 * 3 * 2, 1), [3, 3, 3, 2], "SSSC");
    const layer = T.transposedConv3dLayer(2, 3, { stride: 2 });
    const Y = layer.predict(X);
    const dLdY = T.dlarray(values(Y.numel, 2), Y.size, "SSSC");
    return { X, layer, Y, dLdY, g: layer.backward(X, dLdY) };
  };

  it("names the argument, the value received and what was expected", () => {
    const { X, layer, Y, dLdY, g } = setup();
    const cases: [() => unknown, Tconv3d.Tconv3dErrorCode, RegExp][] = [
      [
        () => layer.predict(X, { out: Y.data as never }),
        "TCONV3D_ARGUMENT",
        /options\.out must be "wasm" or a dlarray of size \[6,6,6,3\], format "SSSC" and dtype "single", got Float32Array/,
      ],
      [
        () => layer.predict(X, { out: T.dlarray(new Float32Array(Y.numel), [6, 6, 6, 3], "SSCS") }),
        "TCONV3D_FORMAT",
        /options\.out must be .*got size \[6,6,6,3\], format "SSCS"/,
      ],
      [
        () =>
          layer.predict(X, {
            out: T.dlarray(new Float64Array(Y.numel), Y.size, "SSSC") as never,
          }),
        "TCONV3D_ARGUMENT",
        /options\.out must be .*dtype "single", got .*dtype "double"/,
      ],
      [
        () =>
          layer.predict(X, {
            out: T.dlarray(new Float32Array(6 * 6 * 5 * 3), [6, 6, 5, 3], "SSSC"),
          }),
        "TCONV3D_SIZE",
        /got size \[6,6,5,3\]/,
      ],
      [
        () => layer.predict(X, { into: poisoned(Y) } as never),
        "TCONV3D_ARGUMENT",
        /unknown option "into"; expected out/,
      ],
      [() => layer.predict(X, 3 as never), "TCONV3D_ARGUMENT", /options must be an object, got 3/],
      [
        () => layer.backward(X, dLdY, { out: { dX: poisoned(g.dLdX) } as never }),
        "TCONV3D_ARGUMENT",
        /options\.out has unknown key "dX"; expected dLdX, dLdW or dLdB/,
      ],
      [
        () => layer.backward(X, dLdY, { out: null as never }),
        "TCONV3D_ARGUMENT",
        /options\.out must be "wasm" or an object with dLdX, dLdW and\/or dLdB, got null/,
      ],
      [
        () => layer.backward(X, dLdY, { out: { dLdB: poisoned(g.dLdW) } }),
        "TCONV3D_SIZE",
        /options\.out\.dLdB must be "wasm" or a dlarray of size \[1,1,1,3\]/,
      ],
    ];
    for (const [f, code, message] of cases) {
      expectThrows(T, f, code, message);
      // The layer still works, with the same results.
      expect(layer.predict(X).data).toEqual(Y.data);
    }
  });

  it("outputs that share memory with the weights or with each other", () => {
    const { X, dLdY, g } = setup();
    const layer = T.transposedConv3dLayer(2, 3, { stride: 2 });
    layer.initialize(X);
    const W = layer.weights as Tconv3d.DlArray<Float32Array>; // single: the initializers' precision
    // The functional form reads the caller's weights array itself.
    expectThrows(
      T,
      () =>
        T.dltranspconvBackward(X, W, dLdY, {
          stride: 2,
          out: { dLdW: new T.DlArray(W.data, [...W.size, 1]) },
        }),
      "TCONV3D_ARGUMENT",
      /dltranspconvBackward: options\.out\.dLdW shares memory with the weights/,
    );
    const bias = T.dlarray(Float32Array.of(1, 2, 3), [1, 1, 1, 3]);
    const Y = T.dltranspconv(X, W, bias, { stride: 2 });
    // An output that starts inside the weights' buffer.
    const wBuf = new Float32Array(W.numel + Y.numel);
    wBuf.set(W.data);
    const Wover = new T.DlArray(wBuf.subarray(0, W.numel), W.size);
    const yOver = new T.DlArray(wBuf.subarray(W.numel - 1, W.numel - 1 + Y.numel), Y.size, "SSSC");
    expectThrows(
      T,
      () => T.dltranspconv(X, Wover, bias, { stride: 2, out: yOver }),
      "TCONV3D_ARGUMENT",
      /options\.out shares memory with the weights/,
    );
    // Right after them is fine.
    const yAfter = new T.DlArray(wBuf.subarray(W.numel), Y.size, "SSSC");
    expect(T.dltranspconv(X, Wover, bias, { stride: 2, out: yAfter }).data).toEqual(Y.data);
    // Two gradients over one buffer.
    const buf = new Float32Array(g.dLdX.numel + 2);
    const dX = new T.DlArray(buf.subarray(0, g.dLdX.numel), g.dLdX.size, "SSSC");
    const dB = new T.DlArray(buf.subarray(g.dLdX.numel - 1, g.dLdX.numel + 2), [1, 1, 1, 3]);
    const before = Float32Array.from(buf);
    expectThrows(
      T,
      () => layer.backward(X, dLdY, { out: { dLdX: dX, dLdB: dB } }),
      "TCONV3D_ARGUMENT",
      /options\.out\.dLdX shares memory with options\.out\.dLdB/,
    );
    // Nothing was written.
    expect(buf).toEqual(before);
  });
});
