// Integer arguments past what the core represents, strides far larger than the filter, and
// learnables that cannot fit: a typed error or the right result, never a wrapped-around value,
// a WebAssembly trap or a JS allocation of the impossible size. Also: initializer outputs are
// copied, and the properties MATLAB fixes at construction throw on assignment at run time.
import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { thrown, values } from "./helpers.js";
import { referenceConvTranspose } from "./oracle/reference.js";
import { simdPackage } from "./runtime-helpers.js";

let T: typeof Tconv3d;

beforeAll(async () => {
  T = await simdPackage();
});

const LIMIT = 2 ** 31 - 1;
/** The boundary values of a 32-bit core: the last one accepted, then past it. */
const PAST = [2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 2, 2 ** 53 - 1, 2 ** 53];

/** Every integer parameter, as a layer option (or argument) set to `v`. */
const PARAMETERS: Array<[string, (v: number) => unknown]> = [
  ["FilterSize", (v) => T.transposedConv3dLayer(v, 2)],
  ["FilterSize (one axis)", (v) => T.transposedConv3dLayer([2, v, 2], 2)],
  ["NumFilters", (v) => T.transposedConv3dLayer(2, v)],
  ["Stride", (v) => T.transposedConv3dLayer(2, 2, { stride: v })],
  ["Stride (one axis)", (v) => T.transposedConv3dLayer(2, 2, { stride: [1, 1, v] })],
  ["DilationFactor", (v) => T.transposedConv3dLayer(2, 2, { dilationFactor: v })],
  ["Cropping", (v) => T.transposedConv3dLayer(2, 2, { cropping: v })],
  [
    "Cropping (begin)",
    (v) =>
      T.transposedConv3dLayer(2, 2, {
        cropping: [
          [v, 0, 0],
          [0, 0, 0],
        ],
      }),
  ],
  ["NumGroups", (v) => T.transposedConv3dLayer(2, 2, { numGroups: v })],
  ["NumChannels", (v) => T.transposedConv3dLayer(2, 2, { numChannels: v })],
  ["OutputPadding", (v) => T.transposedConv3dLayer(2, 2, { stride: 3, outputPadding: [0, v, 0] })],
  [
    "dltranspconv Stride",
    (v) =>
      T.dltranspconv(
        T.dlarray(new Float32Array(8), [2, 2, 2, 1], "SSSC"),
        T.dlarray(new Float32Array(8), [2, 2, 2, 1, 1]),
        0,
        { stride: v },
      ),
  ],
];

describe("integer arguments past the core's 32-bit range", () => {
  for (const [name, make] of PARAMETERS) {
    it(`${name}: ${PAST.join(", ")} are refused, naming the value and the limit`, () => {
      for (const v of PAST) {
        const e = thrown(() => make(v));
        expect(e, `${name} = ${v}`).toBeInstanceOf(T.ArgumentError);
        expect((e as Tconv3d.ArgumentError).code).toBe("TCONV3D_ARGUMENT");
        expect(e.message, `${name} = ${v}`).toContain(String(v));
        expect(e.message, `${name} = ${v}`).toContain(String(LIMIT));
      }
    });
  }

  it(`${LIMIT} itself is taken, and a call then gives a result or a typed error`, () => {
    const X = T.dlarray(values(8, 1), [2, 2, 2, 1], "SSSC");
    for (const [name, make] of PARAMETERS.slice(0, -1)) {
      let layer: unknown;
      try {
        layer = make(LIMIT);
      } catch (e) {
        // Some combinations are refused on other grounds (OutputPadding < Stride): typed.
        expect(e, name).toBeInstanceOf(T.Tconv3dError);
        continue;
      }
      try {
        (layer as Tconv3d.TransposedConv3dLayer).predict(X);
      } catch (e) {
        expect(e, `${name}: ${String(e)}`).toBeInstanceOf(T.Tconv3dError);
        expect((e as Tconv3d.Tconv3dError).code, name).not.toBe("TCONV3D_INTERNAL");
      }
    }
  });
});

describe("strides far larger than the filter", () => {
  it("on one voxel the stride changes nothing: stride 65536 and 2^28 equal stride 1", () => {
    const X = T.dlarray(values(3, 1), [1, 1, 1, 3], "SSSC");
    const weights = T.dlarray(values(2 * 3 * 2 * 4 * 3, 2), [2, 3, 2, 4, 3]);
    const bias = values(4, 3);
    const y = (stride: number | number[]) =>
      T.transposedConv3dLayer([2, 3, 2], 4, { stride, weights, bias }).predict(X);
    const want = y(1);
    for (const stride of [65_536, [2 ** 28, 1, 1], [1, 2 ** 30, 7]]) {
      const got = y(stride);
      expect(got.size).toEqual(want.size);
      expect(got.data).toEqual(want.data);
    }
  });

  it("stride 300 along one axis of a 2-voxel input matches the f64 reference", () => {
    const [k, F, C, s] = [[2, 3, 2], 3, 2, [300, 1, 2]] as const;
    const x = values(2 * C, 4);
    const w = values(k[0] * k[1] * k[2] * F * C, 5);
    const b = values(F, 6);
    const Y = T.transposedConv3dLayer([...k], F, {
      stride: [...s],
      weights: T.dlarray(w, [...k, F, C]),
      bias: b,
    }).predict(T.dlarray(x, [2, 1, 1, C], "SSSC"));
    // ONNX's row-major [N C D H W] and [C F kD kH kW] are the same memory as these column-major
    // "SSSC" [W H D C] and [kW kH kD F C] arrays.
    const ref = referenceConvTranspose({
      x: Float64Array.from(x),
      xShape: [1, C, 1, 1, 2],
      w: Float64Array.from(w),
      wShape: [C, F, k[2], k[1], k[0]],
      b: Float64Array.from(b),
      strides: [s[2], s[1], s[0]],
    });
    expect(Y.size).toEqual([ref.shape[4], ref.shape[3], ref.shape[2], F]);
    // Y is [W H D F] column-major (channels slowest), the reference [F D H W] row-major: same.
    let err = 0;
    for (let i = 0; i < ref.data.length; i++) {
      err = Math.max(err, Math.abs((Y.data[i] as number) - (ref.data[i] as number)));
    }
    expect(err).toBeLessThan(1e-5);
  });
});

describe("learnables that cannot fit in WebAssembly memory", () => {
  it("NumFilters 2^28 with 4^3 filters is refused before any allocation", () => {
    const layer = T.transposedConv3dLayer(4, 2 ** 28);
    const started = performance.now();
    const e = thrown(() => layer.initialize(T.dlarray(new Float32Array(8), [2, 2, 2, 1], "SSSC")));
    expect(e).toBeInstanceOf(T.SizeError);
    expect(e.message).toMatch(/holds 17179869184 values .* at most 4 GiB/);
    expect(performance.now() - started).toBeLessThan(1000);
    // The layer and the module still work.
    const ok = T.transposedConv3dLayer(2, 2);
    expect(ok.predict(T.dlarray(new Float32Array(8), [2, 2, 2, 1], "SSSC")).size).toEqual([
      3, 3, 3, 2,
    ]);
  });
});

describe("initializer outputs are copied", () => {
  it("changing the array an initializer returned changes neither weights nor predict", () => {
    const kept: Float32Array[] = [];
    const layer = T.transposedConv3dLayer(2, 2, {
      weightsInitializer: (size: number[]) => {
        const a = new Float32Array(size.reduce((p, q) => p * q, 1)).fill(1);
        kept.push(a);
        return a;
      },
    });
    const X = T.dlarray(values(8, 7), [2, 2, 2, 1], "SSSC");
    const before = layer.predict(X).data.slice();
    kept[0]?.fill(5);
    expect(Array.from(layer.weights?.data ?? [])).toEqual(new Array(16).fill(1));
    expect(layer.predict(X).data).toEqual(before);
  });
});

describe("read-only properties throw on assignment at run time", () => {
  const KEYS = [
    "filterSize",
    "numFilters",
    "stride",
    "dilationFactor",
    "numGroups",
    "outputPadding",
    "numInputs",
    "inputNames",
    "numOutputs",
    "outputNames",
    "numChannels",
    "croppingMode",
    "croppingSize",
  ];

  it("each, assigned from untyped code, throws ArgumentError; the layer is unchanged", () => {
    const layer = T.transposedConv3dLayer(3, 4, { stride: 2, cropping: 1 });
    const X = T.dlarray(values(2 * 2 * 2 * 3, 8), [2, 2, 2, 3], "SSSC");
    const before = layer.predict(X);
    const untyped = layer as unknown as Record<string, unknown>;
    for (const key of KEYS) {
      const was = JSON.stringify(untyped[key]);
      const e = thrown(() => {
        untyped[key] = 8;
      });
      expect(e, key).toBeInstanceOf(T.ArgumentError);
      expect(e.message, key).toContain(`${key} is read-only`);
      expect(JSON.stringify(untyped[key]), key).toBe(was);
    }
    expect(layer.predict(X).data).toEqual(before.data);
  });
});

describe("MATLAB's Name-Value habits", () => {
  const X = () => T.dlarray(values(3 * 3 * 2 * 2, 9), [3, 3, 2, 2], "SSSC");

  it("names in any letter case and unique prefixes (run time; the types take full names)", () => {
    const untyped = T.transposedConv3dLayer as (...a: unknown[]) => Tconv3d.TransposedConv3dLayer;
    const w = T.dlarray(values(3 * 3 * 3 * 4 * 2, 10), [3, 3, 3, 4, 2]);
    const full = T.transposedConv3dLayer(3, 4, "Stride", 2, "Cropping", "same", "Weights", w);
    const short = untyped(3, 4, "str", 2, "Crop", "same", "weights", w);
    expect(short.stride).toEqual([2, 2, 2]);
    expect(short.croppingMode).toBe("same");
    expect(short.predict(X()).data).toEqual(full.predict(X()).data);
    // "Weights" is a name of its own, though it begins "WeightsInitializer".
    expect(untyped(3, 4, "weights", w).weights?.data).toEqual(w.data);
    const e = thrown(() => untyped(3, 4, "W", 1));
    expect(e).toBeInstanceOf(T.ArgumentError);
    expect(e.message).toMatch(/option name "W" is ambiguous: it begins .*WeightsInitializer/);
  });

  it("dltranspconv takes Name-Value pairs and MATLAB's names in an object, as the layer does", () => {
    const w = T.dlarray(values(2 * 2 * 2 * 3 * 2, 11), [2, 2, 2, 3, 2]);
    const want = T.dltranspconv(X(), w, 0.5, { stride: 2, cropping: 1 });
    expect(T.dltranspconv(X(), w, 0.5, "Stride", 2, "Cropping", 1).data).toEqual(want.data);
    const pascal = { Stride: 2, Cropping: 1 } as unknown as Tconv3d.DltranspconvOptions;
    expect(T.dltranspconv(X(), w, 0.5, pascal).data).toEqual(want.data);
    const untyped = T.dltranspconv as (...a: unknown[]) => Tconv3d.DlArray;
    expect(untyped(X(), w, 0.5, "str", 2, "crop", 1).data).toEqual(want.data);
    const g = T.dltranspconvBackward(X(), w, want, "Stride", 2, "Cropping", 1);
    expect(g.dLdX.size).toEqual(X().size);
    const e = thrown(() => untyped(X(), w, 0.5, "Strid"));
    expect(e).toBeInstanceOf(T.ArgumentError);
    expect(e.message).toMatch(/Name-Value arguments must come in pairs/);
  });
});

describe("dlarray as MATLAB has it", () => {
  it("extractdata gives a copy of the elements (of a WasmArray too)", () => {
    const X = T.dlarray(values(6, 12), [3, 2], "SC");
    const x = T.extractdata(X);
    expect(x).toEqual(X.data);
    expect(x).not.toBe(X.data);
    x[0] = 42;
    expect(X.data[0]).not.toBe(42);
    const W = T.wasmArray([3, 2], "SC");
    W.data.set(X.data);
    const w = T.extractdata(W);
    expect(w.buffer).not.toBe(W.data.buffer);
    expect(w).toEqual(X.data);
    W.dispose();
  });

  it("stripdims takes no arguments (a format given is refused, not ignored)", () => {
    const X = T.dlarray(values(6, 13), [3, 2], "SC");
    expect(X.stripdims().format).toBe("");
    const untyped = X.stripdims as unknown as (f: string) => unknown;
    const e = thrown(() => untyped.call(X, "SS"));
    expect(e).toBeInstanceOf(T.ArgumentError);
    expect(e.message).toMatch(
      /^stripdims: takes no arguments \(MATLAB's stripdims\(X\)\), got \["SS"\]/,
    );
    const W = T.wasmArray([3, 2], "SC");
    expect(() => (W.stripdims as unknown as (f: string) => unknown).call(W, "SS")).toThrow(
      T.ArgumentError,
    );
    W.dispose();
  });
});

describe("trailing singleton U dimensions, as MATLAB drops them", () => {
  it("are dropped (an array keeps two dimensions); other labels and longer U stay", () => {
    const a = T.dlarray(values(6, 14), [2, 3, 1, 1], "SSUU");
    expect([a.format, a.size]).toEqual(["SS", [2, 3]]);
    const b = T.dlarray(values(3, 15), [3, 1], "SU");
    expect([b.format, b.size]).toEqual(["SU", [3, 1]]);
    const c = T.dlarray(values(12, 16), [2, 2, 1, 3, 1], "SSCUB");
    expect([c.format, c.size]).toEqual(["SSCUB", [2, 2, 1, 3, 1]]);
    const d = T.dlarray(values(8, 17), [2, 2, 2, 1, 1], "SSSCU");
    expect([d.format, d.size]).toEqual(["SSSC", [2, 2, 2, 1]]);
    expect(T.transposedConv3dLayer(2, 1).predict(d).format).toBe("SSSC");
  });
});

describe("NaN and Inf weights reach only the outputs their tap touches", () => {
  it("x = 1..5, w = [1, 1, NaN]: y = [1, 3, NaN...]; dX keeps the inputs the NaN tap misses", () => {
    const X = T.dlarray(Float32Array.of(1, 2, 3, 4, 5), [5, 1, 1, 1], "SSSC");
    const layer = T.transposedConv3dLayer([3, 1, 1], 1, {
      weights: T.dlarray(Float32Array.of(1, 1, Number.NaN), [3, 1, 1, 1, 1]),
      bias: Float32Array.of(0),
    });
    expect(Array.from(layer.predict(X).data)).toEqual([1, 3, NaN, NaN, NaN, NaN, NaN]);
    // Cropping 2 at the end: the NaN tap reaches outputs i + 2 <= 4, so inputs 3 and 4 miss it.
    const cropped = T.transposedConv3dLayer([3, 1, 1], 1, {
      cropping: [
        [0, 0, 0],
        [2, 0, 0],
      ],
      weights: T.dlarray(Float32Array.of(1, 1, Number.POSITIVE_INFINITY), [3, 1, 1, 1, 1]),
      bias: Float32Array.of(0),
    });
    const dLdY = T.dlarray(new Float32Array(5).fill(1), [5, 1, 1, 1], "SSSC");
    const { dLdX, dLdW } = cropped.backward(X, dLdY);
    expect(Array.from(dLdX.data)).toEqual([Infinity, Infinity, Infinity, 2, 1]);
    expect(Array.from(dLdW.data).every(Number.isFinite)).toBe(true);
  });
});
