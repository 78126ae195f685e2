// The layer's public surface, as a MATLAB user meets it: every property's default, its
// validation (messages name the argument, the value and the expectation) and its effect;
// NumChannels "auto"; setting learnables; initializers only when empty; "same" crops;
// Name-Value pairs; the display; the mixed-precision rule.
import { inspect } from "node:util";
import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { expectThrows, values } from "./helpers.js";
import { simdPackage } from "./runtime-helpers.js";

let T: typeof Tconv3d;

beforeAll(async () => {
  T = await simdPackage();
});

const X4 = (c = 2, n = 3, Ctor: typeof Float32Array | typeof Float64Array = Float32Array) =>
  T.dlarray(values(n * n * n * c, 11, Ctor), [n, n, n, c], "SSSC");

/** The layer's weights, read afresh (TypeScript keeps `null` narrowed after `l.weights = null`). */
function weightsOf(layer: Tconv3d.TransposedConv3dLayer): Tconv3d.DlArray {
  const w = layer.weights;
  if (w === null) throw new Error("the layer has no weights");
  return w;
}

describe("defaults (MATLAB's transposedConv3dLayer(11, 32))", () => {
  it("every property", () => {
    const l = T.transposedConv3dLayer(11, 32);
    expect(l.filterSize).toEqual([11, 11, 11]);
    expect(l.numFilters).toBe(32);
    expect(l.stride).toEqual([1, 1, 1]);
    expect(l.dilationFactor).toEqual([1, 1, 1]);
    expect(l.numGroups).toBe(1);
    expect(l.outputPadding).toEqual([0, 0, 0]);
    expect(l.croppingMode).toBe("manual");
    expect(l.croppingSize).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(l.numChannels).toBe("auto");
    expect(l.weightsInitializer).toBe("glorot");
    expect(l.biasInitializer).toBe("zeros");
    expect(l.weights).toBeNull();
    expect(l.bias).toBeNull();
    expect(l.weightLearnRateFactor).toBe(1);
    expect(l.biasLearnRateFactor).toBe(1);
    expect(l.weightL2Factor).toBe(1);
    expect(l.biasL2Factor).toBe(0);
    expect(l.name).toBe("");
    expect(l.numInputs).toBe(1);
    expect(l.inputNames).toEqual(["in"]);
    expect(l.numOutputs).toBe(1);
    expect(l.outputNames).toEqual(["out"]);
  });

  it("MATLAB's documentation example: Name-Value pairs equal the options object", () => {
    const a = T.transposedConv3dLayer(11, 32, "Stride", [4, 4, 2]);
    const b = T.transposedConv3dLayer(11, 32, { stride: [4, 4, 2] });
    expect(a.stride).toEqual([4, 4, 2]);
    expect(String(a)).toBe(String(b));
    const full = [
      ["Cropping", [1, 2, 0]],
      ["NumChannels", 3],
      ["WeightsInitializer", "he"],
      ["BiasInitializer", "ones"],
      ["WeightLearnRateFactor", 2],
      ["BiasLearnRateFactor", 0.5],
      ["WeightL2Factor", 3],
      ["BiasL2Factor", 1],
      ["Name", "up1"],
      ["DilationFactor", [1, 2, 1]],
      ["OutputPadding", [0, 1, 0]],
    ] as const;
    const nv = T.transposedConv3dLayer(11, 32, "Stride", [4, 4, 2], ...full.flat());
    const obj = T.transposedConv3dLayer(11, 32, {
      stride: [4, 4, 2],
      ...Object.fromEntries(full.map(([k, v]) => [k[0]?.toLowerCase() + k.slice(1), v])),
    });
    for (const p of [
      "stride",
      "croppingSize",
      "numChannels",
      "weightsInitializer",
      "biasInitializer",
      "weightLearnRateFactor",
      "biasLearnRateFactor",
      "weightL2Factor",
      "biasL2Factor",
      "name",
      "dilationFactor",
      "outputPadding",
    ] as const) {
      expect(nv[p]).toEqual(obj[p]);
    }
    expect(nv.croppingSize).toEqual([
      [1, 2, 0],
      [1, 1, 0], // end crop 2 minus OutputPadding 1 on the second axis
    ]);
    // Names are case-insensitive, as MATLAB's.
    // (The types accept only camelCase and PascalCase names, and "same" in lower case.)
    const anyCase = ["STRIDE", 2, "cropping", "SAME"] as unknown as ["stride", 2];
    expect(T.transposedConv3dLayer(3, 2, ...anyCase).croppingMode).toBe("same");
  });
});

describe("validation at construction names the argument, the value and the expectation", () => {
  const cases: Array<[string, () => unknown, Tconv3d.Tconv3dErrorCode, RegExp]> = [
    [
      "FilterSize",
      () => T.transposedConv3dLayer(0, 2),
      "TCONV3D_ARGUMENT",
      /FilterSize must be a positive integer or a vector of 3 positive integers, got 0/,
    ],
    [
      "NumFilters",
      () => T.transposedConv3dLayer(3, 2.5),
      "TCONV3D_ARGUMENT",
      /NumFilters must be a positive integer, got 2.5/,
    ],
    [
      "Stride",
      () => T.transposedConv3dLayer(3, 2, { stride: [1, 2] }),
      "TCONV3D_ARGUMENT",
      /Stride must be a positive integer or a vector of 3 positive integers, got \[1,2\]/,
    ],
    [
      "Cropping",
      () => T.transposedConv3dLayer(3, 2, { cropping: "valid" as "same" }),
      "TCONV3D_ARGUMENT",
      /Cropping must be "same", a nonnegative integer/,
    ],
    [
      "NumChannels",
      () => T.transposedConv3dLayer(3, 2, { numChannels: 0 }),
      "TCONV3D_ARGUMENT",
      /NumChannels must be "auto" or a positive integer, got 0/,
    ],
    [
      "WeightsInitializer",
      () => T.transposedConv3dLayer(3, 2, { weightsInitializer: "xavier" as "he" }),
      "TCONV3D_ARGUMENT",
      /WeightsInitializer must be one of "glorot", "he", "narrow-normal", "zeros", "ones" or a function, got "xavier"/,
    ],
    [
      "BiasInitializer",
      () => T.transposedConv3dLayer(3, 2, { biasInitializer: "he" as "ones" }),
      "TCONV3D_ARGUMENT",
      /BiasInitializer must be one of "zeros", "narrow-normal", "ones" or a function, got "he"/,
    ],
    [
      "Weights",
      () => T.transposedConv3dLayer(3, 2, { weights: new Float32Array(5) }),
      "TCONV3D_SIZE",
      /Weights has 5 values; expected a multiple of prod\(FilterSize\) \* NumFilters = 54/,
    ],
    [
      "Bias",
      () => T.transposedConv3dLayer(3, 2, { bias: new Float32Array(3) }),
      "TCONV3D_SIZE",
      /Bias must hold NumFilters = 2 values/,
    ],
    [
      "WeightLearnRateFactor",
      () => T.transposedConv3dLayer(3, 2, { weightLearnRateFactor: -1 }),
      "TCONV3D_ARGUMENT",
      /WeightLearnRateFactor must be a nonnegative finite number, got -1/,
    ],
    [
      "BiasLearnRateFactor",
      () => T.transposedConv3dLayer(3, 2, "BiasLearnRateFactor", "1" as never),
      "TCONV3D_ARGUMENT",
      /BiasLearnRateFactor must be a nonnegative finite number, got "1"/,
    ],
    [
      "WeightL2Factor",
      () => T.transposedConv3dLayer(3, 2, { weightL2Factor: Number.POSITIVE_INFINITY }),
      "TCONV3D_ARGUMENT",
      /WeightL2Factor must be a nonnegative finite number, got Infinity/,
    ],
    [
      "BiasL2Factor",
      () => T.transposedConv3dLayer(3, 2, { biasL2Factor: Number.NaN }),
      "TCONV3D_ARGUMENT",
      /BiasL2Factor must be a nonnegative finite number, got NaN/,
    ],
    [
      "Name",
      () => T.transposedConv3dLayer(3, 2, { name: 5 as unknown as string }),
      "TCONV3D_ARGUMENT",
      /Name must be a string, got 5/,
    ],
    [
      "DilationFactor",
      () => T.transposedConv3dLayer(3, 2, { dilationFactor: -1 }),
      "TCONV3D_ARGUMENT",
      /DilationFactor must be a positive integer or a vector of 3 positive integers, got -1/,
    ],
    [
      "NumGroups",
      () => T.transposedConv3dLayer(3, 2, { numGroups: 3 }),
      "TCONV3D_ARGUMENT",
      /NumFilters must be divisible by NumGroups, got NumFilters 2 and NumGroups 3/,
    ],
    [
      "OutputPadding value",
      () => T.transposedConv3dLayer(3, 2, { stride: [2, 1, 1], outputPadding: [1, 1, 0] }),
      "TCONV3D_ARGUMENT",
      /OutputPadding along spatial dimension 2 is 1; expected less than its Stride \(1\) or its DilationFactor \(1\)/,
    ],
    [
      "OutputPadding type",
      () => T.transposedConv3dLayer(3, 2, { outputPadding: "1" as unknown as number }),
      "TCONV3D_ARGUMENT",
      /OutputPadding must be a nonnegative integer or a vector of 3 nonnegative integers, got "1"/,
    ],
    [
      "OutputPadding negative",
      () => T.transposedConv3dLayer(3, 2, { outputPadding: [0, -1, 0] }),
      "TCONV3D_ARGUMENT",
      /OutputPadding must be a nonnegative integer or a vector of 3 nonnegative integers, got \[0,-1,0\]/,
    ],
    [
      "OutputPadding with same",
      () => T.transposedConv3dLayer(3, 2, "Stride", 2, "Cropping", "same", "OutputPadding", 1),
      "TCONV3D_ARGUMENT",
      /OutputPadding 1 needs manual cropping; Cropping "same" already fixes the output length/,
    ],
    [
      "unknown option",
      () => T.transposedConv3dLayer(3, 2, { padding: 1 } as never),
      "TCONV3D_ARGUMENT",
      /unknown option "padding"; expected one of Stride, Cropping/,
    ],
    [
      "odd Name-Value",
      () => T.transposedConv3dLayer(3, 2, ...(["Stride"] as unknown as [])),
      "TCONV3D_ARGUMENT",
      /Name-Value arguments must come in pairs/,
    ],
  ];
  it.each(cases)("%s", (_, fn, code, msg) => {
    const e = expectThrows(T, fn, code);
    expect(e.message).toMatch(/^transposedConv3dLayer: /);
    expect(e.message).toMatch(msg);
  });
});

describe("settable properties (as in MATLAB)", () => {
  it("the four factors, Name and the initializers validate and keep the old value on error", () => {
    const l = T.transposedConv3dLayer(2, 2);
    const setters: Array<[keyof Tconv3d.TransposedConv3dLayer, unknown, string, unknown]> = [
      ["weightLearnRateFactor", 2, "WeightLearnRateFactor", -0.5],
      ["biasLearnRateFactor", 0, "BiasLearnRateFactor", Number.NaN],
      ["weightL2Factor", 0.5, "WeightL2Factor", "2"],
      ["biasL2Factor", 3, "BiasL2Factor", null],
    ];
    for (const [prop, good, name, bad] of setters) {
      (l as unknown as Record<string, unknown>)[prop] = good;
      expect(l[prop]).toBe(good);
      const e = expectThrows(
        T,
        () => {
          (l as unknown as Record<string, unknown>)[prop] = bad;
        },
        "TCONV3D_ARGUMENT",
      );
      expect(e.message).toMatch(
        new RegExp(`^transposedConv3dLayer: ${name} must be a nonnegative finite number, got `),
      );
      expect(l[prop]).toBe(good);
    }
    l.biasL2Factor = -0;
    expect(Object.is(l.biasL2Factor, 0)).toBe(true);
    l.name = "dec.up1";
    expect(l.name).toBe("dec.up1");
    expectThrows(
      T,
      () => {
        l.name = 1 as unknown as string;
      },
      "TCONV3D_ARGUMENT",
      /Name must be a string, got 1/,
    );
    l.weightsInitializer = "HE" as "he";
    expect(l.weightsInitializer).toBe("he");
    expectThrows(
      T,
      () => {
        l.biasInitializer = "glorot" as "ones";
      },
      "TCONV3D_ARGUMENT",
      /BiasInitializer must be one of "zeros", "narrow-normal", "ones" or a function, got "glorot"/,
    );
    expect(l.biasInitializer).toBe("zeros");
  });

  it("geometry is read-only (every such property: test/hardening.test.ts)", () => {
    const l = T.transposedConv3dLayer(2, 2);
    expectThrows(
      T,
      () => {
        (l as unknown as { numChannels: number }).numChannels = 3;
      },
      "TCONV3D_ARGUMENT",
      /numChannels is read-only, as in MATLAB \(assigned 3\)/,
    );
    expectThrows(
      T,
      () => {
        (l as unknown as { croppingSize: number }).croppingSize = 3;
      },
      "TCONV3D_ARGUMENT",
      /croppingSize is read-only/,
    );
  });
});

describe("effects", () => {
  it("stride, cropping, dilation and output padding give the documented output size", () => {
    const n = 3;
    const out = (opts: Tconv3d.TransposedConv3dOptions, k = 3) =>
      T.transposedConv3dLayer(k, 1, opts).predict(X4(2, n)).size.slice(0, 3);
    expect(out({})).toEqual([5, 5, 5]); // n + k - 1
    expect(out({ stride: [2, 3, 1] })).toEqual([7, 9, 5]); // s(n-1) + k
    expect(out({ stride: 2, cropping: 1 })).toEqual([5, 5, 5]);
    expect(
      out({
        stride: 2,
        cropping: [
          [0, 1, 2],
          [1, 0, 2],
        ],
      }),
    ).toEqual([6, 6, 3]);
    expect(out({ dilationFactor: [2, 1, 3] })).toEqual([7, 5, 9]); // n - 1 + d(k-1) + 1
    expect(out({ stride: 2, outputPadding: [1, 0, 1] })).toEqual([8, 7, 8]);
    expect(out({ stride: 2, cropping: "same" })).toEqual([6, 6, 6]); // n * s
    expect(out({ stride: 3, cropping: "same" }, 2)).toEqual([9, 9, 9]);
  });

  it("output padding appends samples that hold only the bias... and the shifted taps", () => {
    // k = 1, s = 2: the padded sample gets no input contribution, only the bias.
    const l = T.transposedConv3dLayer(1, 1, {
      stride: 2,
      outputPadding: 1,
      weights: Float32Array.of(1, 1),
      bias: Float32Array.of(0.5),
    });
    const Y = l.predict(T.dlarray(Float32Array.of(1, 2, 3, 4), [2, 1, 1, 2], "SSSC"));
    expect(Y.size).toEqual([4, 2, 2, 1]);
    expect(Array.from(Y.data.subarray(0, 4))).toEqual([4.5, 0.5, 6.5, 0.5]);
  });

  it("NumChannels 'auto' resolves from the first input; another channel count is then an error", () => {
    const l = T.transposedConv3dLayer(2, 3);
    l.predict(X4(5));
    expect(l.numChannels).toBe(5);
    expect((l.weights as Tconv3d.DlArray).size).toEqual([2, 2, 2, 3, 5]);
    expectThrows(
      T,
      () => l.predict(X4(4)),
      "TCONV3D_SIZE",
      /the input has 4 channels \(its C dimension\); expected NumChannels = 5/,
    );
    // A fixed NumChannels is checked at initialize too.
    const fixed = T.transposedConv3dLayer(2, 3, { numChannels: 2 });
    expectThrows(
      T,
      () => fixed.initialize(X4(3)),
      "TCONV3D_SIZE",
      /the input has 3 channels \(its C dimension\); expected NumChannels = 2/,
    );
    expect(fixed.weights).toBeNull();
    // With groups, "auto" must resolve to a multiple of NumGroups.
    const g = T.transposedConv3dLayer(2, 4, { numGroups: 2 });
    expectThrows(
      T,
      () => g.initialize(X4(3)),
      "TCONV3D_SIZE",
      /the input has 3 channels; expected a multiple of NumGroups = 2/,
    );
    g.initialize(X4(4));
    expect((g.weights as Tconv3d.DlArray).size).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it("initializers run only for empty learnables, with the current initializer", () => {
    T.rngSeed(3);
    const w = values(8 * 2 * 2, 4);
    const l = T.transposedConv3dLayer(2, 2, {
      weights: w,
      weightsInitializer: "ones",
      biasInitializer: "ones",
    });
    expect(l.numChannels).toBe(2); // implied by the weights
    l.initialize(X4(2));
    expect(Array.from((l.weights as Tconv3d.DlArray).data)).toEqual(Array.from(w));
    expect(Array.from((l.bias as Tconv3d.DlArray).data)).toEqual([1, 1]);
    // Initializing again changes nothing.
    l.biasInitializer = "zeros";
    l.initialize(X4(2));
    expect(Array.from((l.bias as Tconv3d.DlArray).data)).toEqual([1, 1]);
    // Emptied, the new initializer runs (a function receives the size).
    const sizes: number[][] = [];
    l.weightsInitializer = (sz) => {
      sizes.push(sz);
      return new Float64Array(sz.reduce((a, b) => a * b, 1)).fill(2);
    };
    l.weights = null;
    expect(l.weights).toBeNull();
    l.initialize(X4(2));
    expect(sizes).toEqual([[2, 2, 2, 2, 2]]);
    const W = weightsOf(l);
    expect(W.dtype).toBe("single"); // MATLAB's default precision for learnables
    expect(Array.from(W.data).every((x) => x === 2)).toBe(true);
  });

  it("seeded initializers are reproducible", () => {
    const make = () => {
      T.rngSeed(42);
      return T.transposedConv3dLayer(3, 4, { weightsInitializer: "he" }).initialize(X4(2));
    };
    expect(Array.from((make().weights as Tconv3d.DlArray).data)).toEqual(
      Array.from((make().weights as Tconv3d.DlArray).data),
    );
  });
});

describe("weights and bias", () => {
  it("getters return copies (value semantics); setters copy", () => {
    const w = values(8 * 2 * 2, 4);
    const l = T.transposedConv3dLayer(2, 2, { weights: w, bias: Float32Array.of(1, 2) });
    const W = l.weights as Tconv3d.DlArray;
    W.data[0] = 99;
    w[1] = 99;
    expect((l.weights as Tconv3d.DlArray).data[0]).not.toBe(99);
    expect((l.weights as Tconv3d.DlArray).data[1]).not.toBe(99);
    const b = Float64Array.of(3, 4);
    l.bias = b;
    b[0] = 0;
    expect(Array.from((l.bias as Tconv3d.DlArray).data)).toEqual([3, 4]);
    expect((l.bias as Tconv3d.DlArray).size).toEqual([1, 1, 1, 2]);
    expect((l.bias as Tconv3d.DlArray).dtype).toBe("double");
  });

  it("setting is size-checked; a failed set leaves the layer unchanged and usable", () => {
    const l = T.transposedConv3dLayer(2, 3, { name: "up" });
    const X = X4(2);
    const Y0 = Array.from(l.predict(X).data);
    const W0 = Array.from((l.weights as Tconv3d.DlArray).data);
    const bad: Array<[() => void, Tconv3d.Tconv3dErrorCode, RegExp]> = [
      [
        () => {
          l.weights = new Float32Array(7);
        },
        "TCONV3D_SIZE",
        /Weights has 7 values; expected a multiple of prod\(FilterSize\) \* NumFilters = 24/,
      ],
      [
        () => {
          l.weights = T.dlarray(new Float32Array(48), [2, 2, 2, 2, 3]);
        },
        "TCONV3D_SIZE",
        /Weights must have size \[2,2,2,3,NumChannels\] \(\[h, w, d, NumFilters, NumChannels\]\), got size \[2,2,2,2,3\]/,
      ],
      [
        () => {
          l.weights = [1, 2] as never;
        },
        "TCONV3D_ARGUMENT",
        /Weights must be a DlArray, Float32Array or Float64Array \(or null\), got/,
      ],
      [
        () => {
          l.bias = new Float32Array(2);
        },
        "TCONV3D_SIZE",
        /Bias must hold NumFilters = 3 values \(size \[1,1,1,3\]\)/,
      ],
      [
        () => {
          l.bias = "zeros" as never;
        },
        "TCONV3D_ARGUMENT",
        /Bias must be a DlArray, Float32Array or Float64Array \(or null\)/,
      ],
    ];
    for (const [set, code, msg] of bad) {
      expectThrows(T, set, code, msg);
      expect(Array.from((l.weights as Tconv3d.DlArray).data)).toEqual(W0);
      expect(l.numChannels).toBe(2);
      expect(Array.from(l.predict(X).data)).toEqual(Y0);
    }
    // A good set takes effect at the next predict (the plan cache sees the change).
    l.weights = new Float32Array(48).fill(0);
    l.bias = Float32Array.of(1, 2, 3);
    const Y1 = l.predict(X);
    expect(new Set(Y1.data.subarray(0, 27))).toEqual(new Set([1]));
    // Weights for another channel count re-resolve NumChannels, as the weights imply it.
    l.weights = new Float32Array(72);
    expect(l.numChannels).toBe(3);
  });
});

describe("'same' cropping", () => {
  it("croppingSize: total max(k - s, 0), the odd sample at the end; short filters append (not shown as negative crops, as MATLAB's)", () => {
    const same = (k: number | number[], s: number | number[], d: number | number[] = 1) =>
      T.transposedConv3dLayer(k, 1, { stride: s, cropping: "same", dilationFactor: d })
        .croppingSize;
    expect(same(4, 2)).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(same([3, 5, 2], [2, 2, 2])).toEqual([
      [0, 1, 0],
      [1, 2, 0],
    ]);
    expect(same(1, [3, 1, 2])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(same(3, 1, [2, 1, 1])).toEqual([
      [2, 1, 1],
      [2, 1, 1],
    ]);
    const l = T.transposedConv3dLayer([3, 5, 1], 2, { stride: [2, 2, 3], cropping: "same" });
    expect(l.croppingMode).toBe("same");
    expect(l.predict(X4(1, 4)).size).toEqual([8, 8, 12, 2]);
  });
});

describe("display", () => {
  it("toString is MATLAB's property display; util.inspect and console.log show it", () => {
    // The rows MATLAB's documentation prints for transposedConv3dLayer(11, 32, "Stride",
    // [4 4 2]) (docs/matlab-reference.md; the alignment is ours).
    const l = T.transposedConv3dLayer(11, 32, "Stride", [4, 4, 2]);
    const s = l.toString();
    expect(s.split("\n").map((line) => line.trim())).toEqual([
      "TransposedConvolution3DLayer with properties:",
      "",
      "Name: ''",
      "",
      "Hyperparameters",
      "FilterSize: [11 11 11]",
      "NumChannels: 'auto'",
      "NumFilters: 32",
      "Stride: [4 4 2]",
      "CroppingMode: 'manual'",
      "CroppingSize: [2x3 double]",
      "",
      "Learnable Parameters",
      "Weights: []",
      "Bias: []",
      "",
      "Use properties method to see a list of all properties.",
    ]);
    expect(inspect(l)).toBe(s);
    const p = T.transposedConv3dLayer(2, 3, { stride: 2, outputPadding: [1, 0, 0], name: "up" });
    p.initialize(X4(2));
    // Extensions show where they differ from MATLAB's fixed values.
    expect(inspect(p)).toContain("OutputPadding: [1 0 0]");
    expect(inspect(p)).not.toContain("DilationFactor");
    expect(inspect(p)).toContain("Weights: [2x2x2x3x2 single]");
    expect(inspect(p)).toContain("Name: 'up'");
  });
});

describe("mixed precision: compute in the input's precision, learnables converted", () => {
  const w = values(2 * 3 * 2 * 3 * 2, 21, Float64Array);
  const b = values(3, 22, Float64Array);
  const opts = {
    stride: [2, 1, 2],
    cropping: [
      [1, 0, 0],
      [0, 0, 1],
    ],
  } as const;

  it("single X with double weights equals converting the weights to single by hand", () => {
    const X = X4(2, 3, Float32Array);
    const mixed = T.transposedConv3dLayer([2, 3, 2], 3, { ...opts, weights: w, bias: b });
    const byHand = T.transposedConv3dLayer([2, 3, 2], 3, {
      ...opts,
      weights: Float32Array.from(w),
      bias: Float32Array.from(b),
    });
    const Y = mixed.predict(X);
    expect(Y.dtype).toBe("single");
    expect(Array.from(Y.data)).toEqual(Array.from(byHand.predict(X).data));
    const R = T.dlarray(values(Y.numel, 5, Float32Array), Y.size, Y.format);
    const gm = mixed.backward(X, R);
    const gh = byHand.backward(X, R);
    expect(gm.dLdW.dtype).toBe("single");
    expect(Array.from(gm.dLdX.data)).toEqual(Array.from(gh.dLdX.data));
    expect(Array.from(gm.dLdW.data)).toEqual(Array.from(gh.dLdW.data));
    expect(Array.from(gm.dLdB.data)).toEqual(Array.from(gh.dLdB.data));
    // The layer's own weights stay double.
    expect((mixed.weights as Tconv3d.DlArray).dtype).toBe("double");
  });

  it("double X with single weights equals converting the weights to double by hand", () => {
    const X = X4(2, 3, Float64Array);
    const w32 = Float32Array.from(w);
    const b32 = Float32Array.from(b);
    const mixed = T.transposedConv3dLayer([2, 3, 2], 3, { ...opts, weights: w32, bias: b32 });
    const byHand = T.transposedConv3dLayer([2, 3, 2], 3, {
      ...opts,
      weights: Float64Array.from(w32),
      bias: Float64Array.from(b32),
    });
    const Y = mixed.predict(X);
    expect(Y.dtype).toBe("double");
    expect(Array.from(Y.data)).toEqual(Array.from(byHand.predict(X).data));
    const R = T.dlarray(values(Y.numel, 6, Float64Array), Y.size, Y.format);
    const gm = mixed.backward(X, R);
    expect(gm.dLdW.dtype).toBe("double");
    expect(Array.from(gm.dLdW.data)).toEqual(Array.from(byHand.backward(X, R).dLdW.data));
  });

  it("dLdY of the other precision is converted to X's, as the weights are (one rule)", () => {
    const X = X4(2, 3, Float32Array);
    const l = T.transposedConv3dLayer([2, 3, 2], 3, { ...opts, weights: w, bias: b });
    const Y = l.predict(X);
    const R = T.dlarray(values(Y.numel, 5, Float64Array), Y.size, Y.format);
    const R32 = T.dlarray(Float32Array.from(R.data), R.size, R.format);
    const mixed = l.backward(X, R);
    const same = l.backward(X, R32);
    for (const k of ["dLdX", "dLdW", "dLdB"] as const) {
      expect(mixed[k].dtype, k).toBe("single");
      expect(mixed[k].data, k).toEqual(same[k].data);
    }
    const W = T.dlarray(w, [2, 3, 2, 3, 2]);
    expect(T.dltranspconvBackward(X, W, R, opts).dLdX.data).toEqual(
      T.dltranspconvBackward(X, W, R32, opts).dLdX.data,
    );
  });

  it("the functional form follows the same rule", () => {
    const W = T.dlarray(w, [2, 3, 2, 3, 2]);
    const X = X4(2, 3, Float32Array);
    const Y = T.dltranspconv(X, W, b, opts);
    const ref = T.dltranspconv(
      X,
      T.dlarray(Float32Array.from(w), W.size),
      Float32Array.from(b),
      opts,
    );
    expect(Y.dtype).toBe("single");
    expect(Array.from(Y.data)).toEqual(Array.from(ref.data));
  });
});
