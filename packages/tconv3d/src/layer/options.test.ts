import { describe, expect, it } from "vitest";
import { expectThrows } from "../../../../test/helpers.js";
import { DlArray, dlarray } from "../dlarray/dlarray.js";
import type { Tconv3dErrorCode } from "../errors.js";
import * as E from "../errors.js";
import { type LayerArgs, parseLayerArgs } from "./options.js";

describe("defaults", () => {
  it("match MATLAB's layer", () => {
    const a = parseLayerArgs(11, 32);
    expect(a).toEqual({
      filterSize: [11, 11, 11],
      numFilters: 32,
      stride: [1, 1, 1],
      dilationFactor: [1, 1, 1],
      cropping: { mode: "manual", begin: [0, 0, 0], end: [0, 0, 0] },
      outputPadding: [0, 0, 0],
      numChannels: "auto",
      numGroups: 1,
      weightsInitializer: "glorot",
      biasInitializer: "zeros",
      weights: null,
      bias: null,
      weightLearnRateFactor: 1,
      biasLearnRateFactor: 1,
      weightL2Factor: 1,
      biasL2Factor: 0,
      name: "",
    } satisfies LayerArgs);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.filterSize)).toBe(true);
    expect(Object.isFrozen(a.stride)).toBe(true);
    expect(Object.isFrozen(a.cropping)).toBe(true);
    expect(parseLayerArgs(11, 32, {})).toEqual(a);
    expect(parseLayerArgs(11, 32, undefined)).toEqual(a);
  });
});

describe("options object and Name-Value pairs agree", () => {
  const init = (sz: number[]): Float32Array => new Float32Array(sz.reduce((x, y) => x * y, 1));
  const cases: Array<[string, Record<string, unknown>, unknown[], Partial<LayerArgs>]> = [
    ["stride scalar", { stride: 2 }, ["Stride", 2], { stride: [2, 2, 2] }],
    ["stride vector", { stride: [4, 4, 2] }, ["stride", [4, 4, 2]], { stride: [4, 4, 2] }],
    [
      "stride typed array",
      { stride: new Int32Array([1, 2, 3]) },
      ["STRIDE", [1, 2, 3]],
      {
        stride: [1, 2, 3],
      },
    ],
    ["stride [n] is a scalar", { stride: [3] }, ["Stride", [3]], { stride: [3, 3, 3] }],
    ["cropping same", { cropping: "same" }, ["Cropping", "SAME"], { cropping: { mode: "same" } }],
    [
      "cropping scalar",
      { cropping: 1 },
      ["Cropping", 1],
      {
        cropping: { mode: "manual", begin: [1, 1, 1], end: [1, 1, 1] },
      },
    ],
    [
      "cropping symmetric",
      { cropping: [1, 2, 3] },
      ["Cropping", [1, 2, 3]],
      {
        cropping: { mode: "manual", begin: [1, 2, 3], end: [1, 2, 3] },
      },
    ],
    [
      "cropping 2x3",
      {
        cropping: [
          [0, 1, 2],
          [3, 4, 5],
        ],
      },
      [
        "Cropping",
        [
          [0, 1, 2],
          [3, 4, 5],
        ],
      ],
      {
        cropping: { mode: "manual", begin: [0, 1, 2], end: [3, 4, 5] },
      },
    ],
    ["numChannels", { numChannels: 16 }, ["NumChannels", 16], { numChannels: 16 }],
    ["numChannels auto", { numChannels: "Auto" }, ["NumChannels", "auto"], { numChannels: "auto" }],
    [
      "weightsInitializer",
      { weightsInitializer: "He" },
      ["WeightsInitializer", "he"],
      {
        weightsInitializer: "he",
      },
    ],
    [
      "narrow-normal",
      { weightsInitializer: "narrow-normal" },
      ["weightsinitializer", "Narrow-Normal"],
      { weightsInitializer: "narrow-normal" },
    ],
    [
      "weights function",
      { weightsInitializer: init },
      ["WeightsInitializer", init],
      {
        weightsInitializer: init,
      },
    ],
    [
      "biasInitializer",
      { biasInitializer: "ones" },
      ["BiasInitializer", "ones"],
      {
        biasInitializer: "ones",
      },
    ],
    [
      "factors",
      {
        weightLearnRateFactor: 2,
        biasLearnRateFactor: 0,
        weightL2Factor: 0.5,
        biasL2Factor: 3,
      },
      [
        "WeightLearnRateFactor",
        2,
        "BiasLearnRateFactor",
        0,
        "WeightL2Factor",
        0.5,
        "BiasL2Factor",
        3,
      ],
      { weightLearnRateFactor: 2, biasLearnRateFactor: 0, weightL2Factor: 0.5, biasL2Factor: 3 },
    ],
    ["name", { name: "up1" }, ["Name", "up1"], { name: "up1" }],
    [
      "dilation",
      { dilationFactor: [1, 2, 3] },
      ["DilationFactor", [1, 2, 3]],
      {
        dilationFactor: [1, 2, 3],
      },
    ],
    [
      "groups",
      { numGroups: 4, numChannels: 8 },
      ["NumGroups", 4, "NumChannels", 8],
      {
        numGroups: 4,
        numChannels: 8,
      },
    ],
    [
      "PascalCase keys in an object",
      { Stride: 2, Name: "x" },
      ["Stride", 2, "Name", "x"],
      {
        stride: [2, 2, 2],
        name: "x",
      },
    ],
    [
      "undefined counts as absent",
      { stride: undefined },
      ["Stride", undefined],
      {
        stride: [1, 1, 1],
      },
    ],
  ];
  it.each(cases)("%s", (_n, obj, nv, want) => {
    const a = parseLayerArgs(3, 8, obj);
    const b = parseLayerArgs(3, 8, ...nv);
    expect(a).toMatchObject(want);
    expect(b).toEqual(a);
  });

  it("a repeated Name-Value name takes the last value (as inputParser)", () => {
    expect(parseLayerArgs(3, 8, "Stride", 2, "stride", 3).stride).toEqual([3, 3, 3]);
  });

  it("filterSize as a vector", () => {
    expect(parseLayerArgs([3, 5, 7], 8).filterSize).toEqual([3, 5, 7]);
  });
});

describe("learnable parameters", () => {
  it("copies DlArray weights and bias and infers numChannels", () => {
    const W = dlarray(new Float32Array(3 * 3 * 3 * 8 * 4).fill(0.5), [3, 3, 3, 8, 4]);
    const B = dlarray(new Float32Array(8).fill(1), [1, 1, 1, 8]);
    const a = parseLayerArgs(3, 8, { weights: W, bias: B });
    expect(a.numChannels).toBe(4);
    expect(a.weights?.size).toEqual([3, 3, 3, 8, 4]);
    expect(a.weights?.data).not.toBe(W.data);
    expect(Array.from(a.weights?.data ?? [])).toEqual(Array.from(W.data));
    expect(a.weights?.dtype).toBe("single");
    expect(a.bias?.size).toEqual([1, 1, 1, 8]);
    expect(a.bias?.data).not.toBe(B.data);
    W.data[0] = 99;
    expect(a.weights?.data[0]).toBe(0.5);
  });

  it("infers the size of raw typed arrays", () => {
    const a = parseLayerArgs([3, 2, 1], 4, { weights: new Float64Array(3 * 2 * 1 * 4 * 5) });
    expect(a.numChannels).toBe(5);
    expect(a.weights?.size).toEqual([3, 2, 1, 4, 5]);
    expect(a.weights?.dtype).toBe("double");
    const g = parseLayerArgs(2, 6, { numGroups: 3, weights: new Float32Array(8 * 2 * 4 * 3) });
    expect(g.numChannels).toBe(12);
    expect(g.weights?.size).toEqual([2, 2, 2, 2, 4, 3]);
    const b = parseLayerArgs(2, 6, { bias: new Float32Array(6) });
    expect(b.bias?.size).toEqual([1, 1, 1, 6]);
  });

  it("takes numGroups from 6-D weights, trailing singleton dimensions from 5-D ones", () => {
    const W = new DlArray(new Float32Array(8 * 2 * 3 * 4), [2, 2, 2, 2, 3, 4]);
    const a = parseLayerArgs(2, 8, { weights: W });
    expect(a.numGroups).toBe(4);
    expect(a.numChannels).toBe(12);
    const W1 = new DlArray(new Float32Array(8 * 5), [2, 2, 2, 5]); // one channel
    expect(parseLayerArgs(2, 5, { weights: W1 }).weights?.size).toEqual([2, 2, 2, 5, 1]);
    const W6 = new DlArray(new Float32Array(8 * 5), [2, 2, 2, 5, 1, 1, 1]);
    expect(parseLayerArgs(2, 5, { weights: W6 }).weights?.size).toEqual([2, 2, 2, 5, 1]);
  });

  it("empty weights mean 'not given' (MATLAB's [])", () => {
    expect(parseLayerArgs(2, 5, { weights: new Float32Array(0), bias: null }).weights).toBeNull();
  });
});

describe("every validation error", () => {
  const W = (size: number[]): DlArray =>
    dlarray(new Float32Array(size.reduce((a, b) => a * b, 1)), size);
  const cases: Array<[string, () => unknown, Tconv3dErrorCode, string[]]> = [
    // FilterSize / NumFilters
    [
      "filterSize 0",
      () => parseLayerArgs(0, 8),
      "TCONV3D_ARGUMENT",
      ["FilterSize must be a positive integer or a vector of 3 positive integers, got 0"],
    ],
    [
      "filterSize 2-vector",
      () => parseLayerArgs([3, 3], 8),
      "TCONV3D_ARGUMENT",
      ["FilterSize", "got [3,3]"],
    ],
    [
      "filterSize fractional",
      () => parseLayerArgs([3, 3, 2.5], 8),
      "TCONV3D_ARGUMENT",
      ["FilterSize", "[3,3,2.5]"],
    ],
    [
      "filterSize string",
      () => parseLayerArgs("3" as unknown as number, 8),
      "TCONV3D_ARGUMENT",
      ["FilterSize", 'got "3"'],
    ],
    [
      "filterSize string element",
      () => parseLayerArgs([3, "3", 3] as unknown as number[], 8),
      "TCONV3D_ARGUMENT",
      ["FilterSize", '[3,"3",3]'],
    ],
    [
      "numFilters 0",
      () => parseLayerArgs(3, 0),
      "TCONV3D_ARGUMENT",
      ["NumFilters must be a positive integer, got 0"],
    ],
    ["numFilters 1.5", () => parseLayerArgs(3, 1.5), "TCONV3D_ARGUMENT", ["NumFilters", "got 1.5"]],
    [
      "numFilters vector",
      () => parseLayerArgs(3, [8] as unknown as number),
      "TCONV3D_ARGUMENT",
      ["NumFilters", "got [8]"],
    ],
    // Stride / DilationFactor
    [
      "stride [0,1,2]",
      () => parseLayerArgs(3, 8, { stride: [0, 1, 2] }),
      "TCONV3D_ARGUMENT",
      [
        "transposedConv3dLayer: Stride must be a positive integer or a vector of 3 positive integers, got [0,1,2]",
      ],
    ],
    [
      "stride NaN",
      () => parseLayerArgs(3, 8, "Stride", Number.NaN),
      "TCONV3D_ARGUMENT",
      ["Stride", "got NaN"],
    ],
    [
      "stride 4-vector",
      () => parseLayerArgs(3, 8, "Stride", [1, 1, 1, 1]),
      "TCONV3D_ARGUMENT",
      ["Stride", "[1,1,1,1]"],
    ],
    [
      "stride string",
      () => parseLayerArgs(3, 8, { stride: "2" }),
      "TCONV3D_ARGUMENT",
      ["Stride", 'got "2"'],
    ],
    [
      "stride null",
      () => parseLayerArgs(3, 8, { stride: null as unknown as number }),
      "TCONV3D_ARGUMENT",
      ["Stride", "got null"],
    ],
    [
      "dilation 0",
      () => parseLayerArgs(3, 8, { dilationFactor: 0 }),
      "TCONV3D_ARGUMENT",
      ["DilationFactor must be a positive integer", "got 0"],
    ],
    [
      "dilation boolean",
      () => parseLayerArgs(3, 8, { dilationFactor: true as unknown as number }),
      "TCONV3D_ARGUMENT",
      ["DilationFactor", "got true"],
    ],
    // Cropping
    [
      "cropping valid",
      () => parseLayerArgs(3, 8, { cropping: "valid" as "same" }),
      "TCONV3D_ARGUMENT",
      ['Cropping must be "same"', 'got "valid"'],
    ],
    [
      "cropping negative",
      () => parseLayerArgs(3, 8, { cropping: -1 }),
      "TCONV3D_ARGUMENT",
      ["Cropping", "got -1"],
    ],
    [
      "cropping fractional",
      () => parseLayerArgs(3, 8, "Cropping", [1, 0.5, 1]),
      "TCONV3D_ARGUMENT",
      ["Cropping", "[1,0.5,1]"],
    ],
    [
      "cropping 2-vector",
      () => parseLayerArgs(3, 8, "Cropping", [1, 1]),
      "TCONV3D_ARGUMENT",
      ["Cropping", "[1,1]"],
    ],
    [
      "cropping flat 6-vector",
      () => parseLayerArgs(3, 8, "Cropping", [0, 1, 0, 1, 0, 1]),
      "TCONV3D_ARGUMENT",
      ["Cropping", "[0,1,0,1,0,1]", "[[t, l, f], [b, r, bk]] here"],
    ],
    [
      "cropping 2x2",
      () =>
        parseLayerArgs(3, 8, "Cropping", [
          [1, 1],
          [1, 1],
        ]),
      "TCONV3D_ARGUMENT",
      ["Cropping", "[[1,1],[1,1]]"],
    ],
    [
      "cropping negative row",
      () =>
        parseLayerArgs(3, 8, "Cropping", [
          [1, 1, 1],
          [1, -1, 1],
        ]),
      "TCONV3D_ARGUMENT",
      ["Cropping", "[[1,1,1],[1,-1,1]]"],
    ],
    [
      "cropping object",
      () => parseLayerArgs(3, 8, { cropping: { t: 1 } as unknown as number }),
      "TCONV3D_ARGUMENT",
      ["Cropping", "{t: 1}"],
    ],
    [
      "cropping string elements",
      () => parseLayerArgs(3, 8, { cropping: ["1", 1, 1] as unknown as number }),
      "TCONV3D_ARGUMENT",
      ["Cropping", '["1",1,1]'],
    ],
    [
      "cropping row with strings",
      () =>
        parseLayerArgs(3, 8, {
          cropping: [
            [1, 1, 1],
            ["a", 1, 1],
          ] as unknown as number,
        }),
      "TCONV3D_ARGUMENT",
      ["Cropping", '[[1,1,1],["a",1,1]]'],
    ],
    // NumChannels / NumGroups
    [
      "numChannels 0",
      () => parseLayerArgs(3, 8, { numChannels: 0 }),
      "TCONV3D_ARGUMENT",
      ['NumChannels must be "auto" or a positive integer, got 0'],
    ],
    [
      "numChannels word",
      () => parseLayerArgs(3, 8, { numChannels: "many" as "auto" }),
      "TCONV3D_ARGUMENT",
      ["NumChannels", 'got "many"'],
    ],
    [
      "numChannels array",
      () => parseLayerArgs(3, 8, { numChannels: [3] as unknown as number }),
      "TCONV3D_ARGUMENT",
      ["NumChannels", "got [3]"],
    ],
    [
      "numGroups 0",
      () => parseLayerArgs(3, 8, { numGroups: 0 }),
      "TCONV3D_ARGUMENT",
      ["NumGroups must be a positive integer, got 0"],
    ],
    [
      "numGroups string",
      () => parseLayerArgs(3, 8, { numGroups: "2" as unknown as number }),
      "TCONV3D_ARGUMENT",
      ["NumGroups", 'got "2"'],
    ],
    [
      "numFilters not divisible",
      () => parseLayerArgs(3, 8, { numGroups: 3 }),
      "TCONV3D_ARGUMENT",
      ["NumFilters must be divisible by NumGroups, got NumFilters 8 and NumGroups 3"],
    ],
    [
      "numChannels not divisible",
      () => parseLayerArgs(3, 8, { numGroups: 2, numChannels: 3 }),
      "TCONV3D_ARGUMENT",
      ["NumChannels must be divisible by NumGroups, got NumChannels 3 and NumGroups 2"],
    ],
    // Initializers
    [
      "weights initializer unknown",
      () => parseLayerArgs(3, 8, { weightsInitializer: "xavier" as "he" }),
      "TCONV3D_ARGUMENT",
      [
        'WeightsInitializer must be one of "glorot", "he", "narrow-normal", "zeros", "ones" or a function, got "xavier"',
      ],
    ],
    [
      "bias initializer glorot",
      () => parseLayerArgs(3, 8, { biasInitializer: "glorot" as "ones" }),
      "TCONV3D_ARGUMENT",
      [
        'BiasInitializer must be one of "zeros", "narrow-normal", "ones" or a function, got "glorot"',
      ],
    ],
    [
      "initializer number",
      () => parseLayerArgs(3, 8, "WeightsInitializer", 1),
      "TCONV3D_ARGUMENT",
      ["WeightsInitializer", "got 1"],
    ],
    // Factors
    [
      "negative factor",
      () => parseLayerArgs(3, 8, { weightLearnRateFactor: -1 }),
      "TCONV3D_ARGUMENT",
      ["WeightLearnRateFactor must be a nonnegative finite number, got -1"],
    ],
    [
      "infinite factor",
      () => parseLayerArgs(3, 8, { biasLearnRateFactor: Infinity }),
      "TCONV3D_ARGUMENT",
      ["BiasLearnRateFactor", "got Infinity"],
    ],
    [
      "NaN factor",
      () => parseLayerArgs(3, 8, { weightL2Factor: Number.NaN }),
      "TCONV3D_ARGUMENT",
      ["WeightL2Factor", "got NaN"],
    ],
    [
      "string factor",
      () => parseLayerArgs(3, 8, "BiasL2Factor", "0"),
      "TCONV3D_ARGUMENT",
      ["BiasL2Factor", 'got "0"'],
    ],
    // Name
    [
      "name number",
      () => parseLayerArgs(3, 8, { name: 5 as unknown as string }),
      "TCONV3D_ARGUMENT",
      ["Name must be a string, got 5"],
    ],
    // Weights / Bias
    [
      "weights number[]",
      () => parseLayerArgs(1, 1, { weights: [1] as unknown as Float32Array }),
      "TCONV3D_ARGUMENT",
      ["Weights must be a DlArray, Float32Array or Float64Array", "got [1]"],
    ],
    [
      "weights wrong filter size",
      () => parseLayerArgs(3, 8, { weights: W([3, 3, 2, 8, 4]) }),
      "TCONV3D_SIZE",
      ["Weights must have size [3,3,3,8,NumChannels]", "got size [3,3,2,8,4]"],
    ],
    [
      "weights wrong numFilters",
      () => parseLayerArgs(3, 8, { weights: W([3, 3, 3, 4, 4]) }),
      "TCONV3D_SIZE",
      ["Weights must have size [3,3,3,8,NumChannels]", "got size [3,3,3,4,4]"],
    ],
    [
      "weights vs numChannels",
      () => parseLayerArgs(3, 8, { numChannels: 2, weights: W([3, 3, 3, 8, 4]) }),
      "TCONV3D_SIZE",
      ["Weights must have size [3,3,3,8,2]", "got size [3,3,3,8,4]"],
    ],
    [
      "weights grouped vs numGroups",
      () => parseLayerArgs(2, 8, { numGroups: 2, weights: W([2, 2, 2, 4, 3, 4]) }),
      "TCONV3D_SIZE",
      ["Weights must have size [2,2,2,4,NumChannels/NumGroups,2]", "got size [2,2,2,4,3,4]"],
    ],
    [
      "weights 7-D",
      () => parseLayerArgs(2, 8, { weights: W([2, 2, 2, 8, 1, 1, 2]) }),
      "TCONV3D_SIZE",
      ["Weights must have size", "[2,2,2,8,1,1,2]"],
    ],
    [
      "raw weights length",
      () => parseLayerArgs(2, 3, { weights: new Float32Array(25) }),
      "TCONV3D_SIZE",
      ["Weights has 25 values; expected a multiple of prod(FilterSize) * NumFilters = 24"],
    ],
    [
      "raw weights vs numChannels",
      () => parseLayerArgs(2, 3, { numChannels: 2, weights: new Float32Array(24) }),
      "TCONV3D_SIZE",
      [
        "Weights has 24 values; expected prod(FilterSize) * NumFilters * NumChannels/NumGroups = 8 * 3 * 2/1 = 48",
      ],
    ],
    [
      "bias length",
      () => parseLayerArgs(2, 3, { bias: new Float32Array(4) }),
      "TCONV3D_SIZE",
      ["Bias must hold NumFilters = 3 values (size [1,1,1,3]), got Float32Array(4)"],
    ],
    [
      "bias DlArray size",
      () => parseLayerArgs(2, 3, { bias: W([1, 1, 1, 4]) }),
      "TCONV3D_SIZE",
      ["Bias must hold NumFilters = 3 values", "got size [1,1,1,4]"],
    ],
    [
      "bias string",
      () => parseLayerArgs(2, 3, { bias: "zeros" as unknown as Float32Array }),
      "TCONV3D_ARGUMENT",
      ["Bias must be a DlArray", 'got "zeros"'],
    ],
    // Argument structure
    [
      "unknown option",
      () => parseLayerArgs(3, 8, { strides: 2 }),
      "TCONV3D_ARGUMENT",
      ['unknown option "strides"; expected one of Stride, Cropping'],
    ],
    [
      "unknown NV name",
      () => parseLayerArgs(3, 8, "Padding", 1),
      "TCONV3D_ARGUMENT",
      ['unknown option "Padding"'],
    ],
    [
      "odd NV count",
      () => parseLayerArgs(3, 8, "Stride", 2, "Cropping"),
      "TCONV3D_ARGUMENT",
      [
        'Name-Value arguments must come in pairs; "Cropping" has no value (got 3 arguments after NumFilters)',
      ],
    ],
    [
      "NV name not a string",
      () => parseLayerArgs(3, 8, "Stride", 2, 5, 1),
      "TCONV3D_ARGUMENT",
      ["Name-Value argument 2 must start with an option name (a string), got 5"],
    ],
    [
      "positional junk",
      () => parseLayerArgs(3, 8, 5),
      "TCONV3D_ARGUMENT",
      ["expected an options object or Name-Value pairs after NumFilters, got 5"],
    ],
    [
      "array instead of object",
      () => parseLayerArgs(3, 8, [1, 2]),
      "TCONV3D_ARGUMENT",
      ["expected an options object or Name-Value pairs", "got [1,2]"],
    ],
    [
      "same option twice in an object",
      () => parseLayerArgs(3, 8, { stride: 1, Stride: 2 }),
      "TCONV3D_ARGUMENT",
      ['option Stride given twice, as "stride" and "Stride"'],
    ],
  ];
  it.each(cases)("%s", (_n, make, code, parts) => {
    const msg = expectThrows(E, make, code).message;
    expect(msg.startsWith("transposedConv3dLayer: ")).toBe(true);
    for (const p of parts) expect(msg).toContain(p);
  });
});
