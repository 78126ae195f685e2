// fromConvTranspose3d against ONNX Runtime's ConvTranspose (f32) and the f64 loop, on the same
// weights: PyTorch padding/output_padding, ONNX asymmetric pads and auto_pad, groups, dilation.
import * as ort from "onnxruntime-node";
import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { expectThrows, maxAbs, maxDiff, values } from "./helpers.js";
import { type OnnxConvTransposeArgs, onnxConvTranspose } from "./oracle/onnx.js";
import { referenceConvTranspose } from "./oracle/reference.js";
import { simdPackage } from "./runtime-helpers.js";

let T: typeof Tconv3d;

beforeAll(async () => {
  T = await simdPackage();
});

type V3 = [number, number, number];

/** A module in PyTorch/ONNX terms (axes D, H, W). */
interface Case {
  name: string;
  n: number;
  cin: number;
  cout: number;
  groups: number;
  input: V3;
  k: V3;
  stride: V3 | number;
  dilation: V3 | number;
  /** PyTorch padding (symmetric), or ONNX pads when `pads` is set. */
  padding?: V3 | number;
  pads?: [number, number, number, number, number, number];
  outputPadding?: V3 | number;
  bias: boolean;
  /** ONNX Runtime rejects it (output_padding >= stride): checked against the f64 loop only. */
  pytorchOnly?: boolean;
}

const CASES: Case[] = [
  {
    name: "DCGAN-style k4 s2 p1",
    n: 2,
    cin: 6,
    cout: 4,
    groups: 1,
    input: [3, 4, 5],
    k: [4, 4, 4],
    stride: 2,
    dilation: 1,
    padding: 1,
    bias: true,
  },
  {
    name: "k3 s2 p1 output_padding 1 (exact doubling)",
    n: 1,
    cin: 5,
    cout: 3,
    groups: 1,
    input: [4, 3, 5],
    k: [3, 3, 3],
    stride: 2,
    dilation: 1,
    padding: 1,
    outputPadding: 1,
    bias: true,
  },
  {
    name: "per-axis stride, padding, output_padding",
    n: 1,
    cin: 3,
    cout: 2,
    groups: 1,
    input: [3, 4, 2],
    k: [3, 2, 5],
    stride: [3, 2, 1],
    dilation: 1,
    padding: [1, 0, 2],
    outputPadding: [2, 1, 0],
    bias: true,
  },
  {
    name: "groups 3, dilation (2,1,3)",
    n: 1,
    cin: 6,
    cout: 9,
    groups: 3,
    input: [3, 4, 3],
    k: [3, 2, 2],
    stride: [2, 2, 1],
    dilation: [2, 1, 3],
    padding: [1, 0, 1],
    outputPadding: [1, 1, 0],
    bias: true,
  },
  {
    // PyTorch allows output_padding < dilation even when >= stride; ONNX Runtime refuses it.
    name: "output_padding >= stride but < dilation (PyTorch only)",
    n: 1,
    cin: 4,
    cout: 6,
    groups: 2,
    input: [3, 2, 3],
    k: [2, 3, 2],
    stride: [1, 1, 2],
    dilation: [3, 2, 1],
    padding: [0, 1, 0],
    outputPadding: [2, 1, 1],
    bias: true,
    pytorchOnly: true,
  },
  {
    name: "ONNX asymmetric pads, no bias",
    n: 2,
    cin: 4,
    cout: 5,
    groups: 1,
    input: [3, 3, 4],
    k: [3, 4, 2],
    stride: [2, 3, 2],
    dilation: 1,
    pads: [0, 2, 1, 2, 0, 1],
    outputPadding: [1, 0, 1],
    bias: false,
  },
  {
    name: "depthwise (groups = Cin = Cout), ONNX pads",
    n: 1,
    cin: 4,
    cout: 4,
    groups: 4,
    input: [4, 4, 4],
    k: [3, 3, 3],
    stride: 2,
    dilation: 2,
    pads: [1, 1, 2, 2, 1, 0],
    bias: true,
  },
];

const tupleDHW = (v: V3 | number | undefined, d: number): V3 =>
  v === undefined ? [d, d, d] : typeof v === "number" ? [v, v, v] : v;

function setup(cs: Case, Ctor: typeof Float32Array | typeof Float64Array, seed: number) {
  const fg = cs.cout / cs.groups;
  const x = values(cs.n * cs.cin * cs.input[0] * cs.input[1] * cs.input[2], seed, Ctor);
  const wShape: [number, number, number, number, number] = [cs.cin, fg, ...cs.k];
  const w = values(cs.cin * fg * cs.k[0] * cs.k[1] * cs.k[2], seed + 1, Ctor);
  const b = cs.bias ? values(cs.cout, seed + 2, Ctor) : undefined;
  const pad = tupleDHW(cs.padding, 0);
  const onnx: OnnxConvTransposeArgs = {
    x,
    xShape: [cs.n, cs.cin, ...cs.input],
    w,
    wShape,
    ...(b ? { b } : {}),
    strides: tupleDHW(cs.stride, 1),
    pads: cs.pads ?? [...pad, ...pad],
    dilations: tupleDHW(cs.dilation, 1),
    group: cs.groups,
    outputPadding: tupleDHW(cs.outputPadding, 0),
  };
  const params: Tconv3d.ConvTranspose3dParams = {
    weight: w,
    weightShape: wShape,
    bias: b ?? null,
    stride: cs.stride,
    dilation: cs.dilation,
    groups: cs.groups,
    ...(cs.pads ? { pads: cs.pads } : { padding: cs.padding ?? 0 }),
    ...(cs.outputPadding !== undefined ? { output_padding: cs.outputPadding } : {}),
  };
  return { x, onnx, params };
}

describe("fromConvTranspose3d reproduces ConvTranspose", () => {
  it.each(CASES.filter((c) => !c.pytorchOnly))(
    "f32 matches onnxruntime-node: $name",
    async (cs) => {
      const { x, onnx, params } = setup(cs, Float32Array, 101);
      const want = await onnxConvTranspose(onnx);
      const layer = T.fromConvTranspose3d(params);
      const X = T.fromNCDHW(x, [cs.n, cs.cin, ...cs.input]);
      expect(X.data).toBe(x); // zero copy in
      const Y = layer.predict(X);
      const out = Y.toNCDHW();
      expect(out.data).toBe(Y.data); // zero copy out
      expect(out.shape).toEqual(want.shape);
      expect(maxDiff(out.data, want.data)).toBeLessThanOrEqual(1e-5 * maxAbs(want.data));
    },
  );

  it.each(CASES)("f64 matches the f64 loop: $name", (cs) => {
    const { x, onnx, params } = setup(cs, Float64Array, 202);
    const want = referenceConvTranspose(onnx);
    const layer = T.fromConvTranspose3d(params);
    expect((layer.weights as Tconv3d.DlArray).dtype).toBe("double");
    const Y = layer.predict(T.fromNCDHW(x, [cs.n, cs.cin, ...cs.input]));
    expect(Y.toNCDHW().shape).toEqual(want.shape);
    expect(maxDiff(Y.data, want.data)).toBeLessThanOrEqual(1e-12 * maxAbs(want.data));
  });

  it("maps the parameters onto the layer's properties (tuples reversed to [W, H, D])", () => {
    const cs = CASES[4] as Case;
    const { params } = setup(cs, Float32Array, 1);
    const layer = T.fromConvTranspose3d({ ...params, layerOptions: { name: "up2" } });
    expect(layer.name).toBe("up2");
    expect(layer.filterSize).toEqual([2, 3, 2]);
    expect(layer.numFilters).toBe(6);
    expect(layer.numChannels).toBe(4);
    expect(layer.numGroups).toBe(2);
    expect(layer.stride).toEqual([2, 1, 1]);
    expect(layer.dilationFactor).toEqual([1, 2, 3]);
    expect(layer.outputPadding).toEqual([1, 1, 2]);
    // PyTorch padding [0, 1, 0] (D, H, W) reversed, minus the output padding at the end.
    expect(layer.croppingSize).toEqual([
      [0, 1, 0],
      [-1, 0, -2],
    ]);
    // Weights: [kW kH kD Cout/g Cin/g g], the same values in the same order.
    const W = layer.weights as Tconv3d.DlArray;
    expect(W.size).toEqual([2, 3, 2, 3, 2, 2]);
    expect(Array.from(W.data)).toEqual(Array.from(params.weight));
    expect(W.data).not.toBe(params.weight); // the layer owns a copy (value semantics)
  });

  it("a module without bias gets a zero bias that training leaves at zero", () => {
    const w = values(2 * 3 * 8, 3, Float32Array);
    const layer = T.fromConvTranspose3d({ weight: w, weightShape: [2, 3, 2, 2, 2], stride: 2 });
    expect(Array.from((layer.bias as Tconv3d.DlArray).data)).toEqual([0, 0, 0]);
    expect(layer.biasLearnRateFactor).toBe(0);
    const X = T.dlarray(values(2 * 8, 4, Float32Array), [2, 2, 2, 2], "SSSC");
    T.sgdmupdate(layer, layer.backward(X, layer.predict(X)), undefined, { learnRate: 0.1 });
    expect(Array.from((layer.bias as Tconv3d.DlArray).data)).toEqual([0, 0, 0]);
    const kept = T.fromConvTranspose3d({
      weight: w,
      weightShape: [2, 3, 2, 2, 2],
      layerOptions: { biasLearnRateFactor: 1 },
    });
    expect(kept.biasLearnRateFactor).toBe(1);
  });

  it("gradients with output padding pass the adjoint identity (f64)", () => {
    const cs = CASES[2] as Case;
    const { x, params } = setup(cs, Float64Array, 7);
    const layer = T.fromConvTranspose3d(params);
    const X = T.fromNCDHW(x, [cs.n, cs.cin, ...cs.input]);
    const Y = layer.predict(X);
    // Remove the bias contribution: <T(x), r> with T linear.
    const b = (layer.bias as Tconv3d.DlArray).data;
    const R = T.dlarray(values(Y.numel, 9, Float64Array), Y.size, Y.format);
    const { dLdX, dLdB } = layer.backward(X, R);
    let lhs = 0;
    const per = (Y.size[0] as number) * (Y.size[1] as number) * (Y.size[2] as number);
    for (let i = 0; i < Y.numel; i++) {
      const f = Math.floor(i / per) % cs.cout;
      lhs += ((Y.data[i] as number) - (b[f] as number)) * (R.data[i] as number);
    }
    let rhs = 0;
    for (let i = 0; i < X.numel; i++) rhs += (X.data[i] as number) * (dLdX.data[i] as number);
    expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(lhs)));
    // dLdB sums R over everything but the channel.
    const sums = new Array(cs.cout).fill(0);
    for (let i = 0; i < R.numel; i++) sums[Math.floor(i / per) % cs.cout] += R.data[i] as number;
    expect(maxDiff(dLdB.data, sums)).toBeLessThan(1e-12);
  });
});

// ---------------------------------------------------------------------------------------------
// ONNX auto_pad: the shared oracle writes explicit pads only, so this file builds its own
// one-node model with an auto_pad attribute (same protobuf wire format, opset 17).

function pb() {
  const out: number[] = [];
  const varint = (v: number) => {
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
  };
  const api = {
    int(field: number, v: number) {
      varint(field * 8);
      varint(v);
      return api;
    },
    bytes(field: number, b: Uint8Array) {
      varint(field * 8 + 2);
      varint(b.length);
      for (const x of b) out.push(x);
      return api;
    },
    str(field: number, s: string) {
      return api.bytes(field, new TextEncoder().encode(s));
    },
    msg(field: number, m: { finish(): Uint8Array }) {
      return api.bytes(field, m.finish());
    },
    finish: () => Uint8Array.from(out),
  };
  return api;
}

function autoPadModel(
  autoPad: string,
  w: Float32Array,
  wShape: number[],
  strides: number[],
  dilations: number[],
  outputPadding: number[],
) {
  const ints = (name: string, v: number[]) => {
    const a = pb().str(1, name);
    for (const x of v) a.int(8, x);
    return a.int(20, 7);
  };
  const node = pb()
    .str(1, "x")
    .str(1, "W")
    .str(2, "y")
    .str(4, "ConvTranspose")
    .msg(5, ints("kernel_shape", wShape.slice(2)))
    .msg(5, ints("strides", strides))
    .msg(5, ints("dilations", dilations))
    .msg(5, ints("output_padding", outputPadding))
    .msg(5, pb().str(1, "auto_pad").bytes(4, new TextEncoder().encode(autoPad)).int(20, 3));
  const t = pb();
  for (const d of wShape) t.int(1, d);
  t.int(2, 1)
    .str(8, "W")
    .bytes(9, new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  const vi = (name: string) =>
    pb()
      .str(1, name)
      .msg(2, pb().msg(1, pb().int(1, 1)));
  const graph = pb().msg(1, node).str(2, "g").msg(5, t).msg(11, vi("x")).msg(12, vi("y"));
  return pb().int(1, 8).msg(7, graph).msg(8, pb().str(1, "").int(2, 17)).finish();
}

describe("ONNX auto_pad", () => {
  const cases: Array<[string, V3, V3, V3, V3]> = [
    // name, k, stride, dilation, output_padding (D, H, W)
    ["odd total crops", [4, 3, 5], [1, 2, 2], [1, 1, 1], [0, 0, 0]],
    ["with dilation and output_padding", [3, 2, 3], [2, 2, 3], [2, 1, 1], [1, 1, 2]],
    ["filter shorter than the stride", [1, 2, 1], [3, 2, 2], [1, 1, 1], [0, 1, 1]],
  ];
  for (const mode of ["SAME_UPPER", "SAME_LOWER"] as const) {
    it.each(cases)(`${mode} matches onnxruntime-node 1.30: %s`, async (_, k, s, d, op) => {
      const cin = 3;
      const cout = 2;
      const input: V3 = [3, 4, 2];
      const x = values(cin * input[0] * input[1] * input[2], 5, Float32Array);
      const wShape = [cin, cout, ...k];
      const w = values(cin * cout * k[0] * k[1] * k[2], 6, Float32Array);
      const session = await ort.InferenceSession.create(autoPadModel(mode, w, wShape, s, d, op));
      const { y } = await session.run({ x: new ort.Tensor("float32", x, [1, cin, ...input]) });
      await session.release();
      const want = y as ort.Tensor;
      const layer = T.fromConvTranspose3d({
        weight: w,
        weightShape: wShape,
        strides: s,
        dilations: d,
        output_padding: op,
        auto_pad: mode,
      });
      const out = layer.predict(T.fromNCDHW(x, [1, cin, ...input])).toNCDHW();
      expect(out.shape).toEqual([...want.dims]);
      const wd = want.data as Float32Array;
      expect(maxDiff(out.data, wd)).toBeLessThanOrEqual(1e-5 * maxAbs(wd));
    });
  }

  it("SAME_UPPER puts the odd crop at the end, SAME_LOWER at the start; VALID crops nothing", () => {
    const base = { weight: new Float32Array(1 * 1 * 4), weightShape: [1, 1, 1, 1, 4] };
    const upper = T.fromConvTranspose3d({ ...base, stride: 1, auto_pad: "SAME_UPPER" });
    const lower = T.fromConvTranspose3d({ ...base, stride: 1, autoPad: "SAME_LOWER" });
    const valid = T.fromConvTranspose3d({ ...base, stride: 1, autoPad: "VALID" });
    expect(upper.croppingSize).toEqual([
      [1, 0, 0],
      [2, 0, 0],
    ]);
    expect(lower.croppingSize).toEqual([
      [2, 0, 0],
      [1, 0, 0],
    ]);
    expect(valid.croppingSize).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    // A filter shorter than the stride: no crop (ONNX Runtime clamps the negative total).
    const short = T.fromConvTranspose3d({ ...base, stride: [1, 1, 6], auto_pad: "SAME_LOWER" });
    expect(short.croppingSize).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const Y = short.predict(T.dlarray(new Float32Array(3), [3, 1, 1, 1], "SSSC"));
    expect(Y.size).toEqual([16, 1, 1, 1]);
  });
});

describe("fromConvTranspose3d validation", () => {
  const w = new Float32Array(2 * 3 * 2 * 2 * 2);
  const base = { weight: w, weightShape: [2, 3, 2, 2, 2] };
  const cases: Array<[string, unknown, Tconv3d.Tconv3dErrorCode, RegExp]> = [
    [
      "not an object",
      null,
      "TCONV3D_ARGUMENT",
      /fromConvTranspose3d: params must be an object, got null/,
    ],
    [
      "unknown key",
      { ...base, kernelSize: 2 },
      "TCONV3D_ARGUMENT",
      /unknown parameter "kernelSize"; expected one of weight, weightShape/,
    ],
    [
      "output_shape",
      { ...base, output_shape: [4, 4, 4] },
      "TCONV3D_ARGUMENT",
      /output_shape depends on the input size: give pads instead/,
    ],
    [
      "weight not typed",
      { ...base, weight: [1, 2] },
      "TCONV3D_ARGUMENT",
      /weight must be a Float32Array or Float64Array \(row-major \[Cin, Cout\/groups, kD, kH, kW\]\), got/,
    ],
    [
      "weightShape rank",
      { ...base, weightShape: [2, 3, 2, 2] },
      "TCONV3D_ARGUMENT",
      /weightShape must be 5 positive integers \[Cin, Cout\/groups, kD, kH, kW\], got \[2,3,2,2\]/,
    ],
    [
      "weight length",
      { ...base, weightShape: [2, 3, 2, 2, 3] },
      "TCONV3D_SIZE",
      /weight has 48 values; weightShape \[2,3,2,2,3\] needs 72/,
    ],
    [
      "groups",
      { ...base, groups: 4 },
      "TCONV3D_ARGUMENT",
      /weightShape\[0\] \(Cin\) = 2 must be a multiple of groups = 4/,
    ],
    [
      "groups and group",
      { ...base, groups: 1, group: 1 },
      "TCONV3D_ARGUMENT",
      /give groups or group, not both/,
    ],
    [
      "stride tuple",
      { ...base, stride: [1, 2] },
      "TCONV3D_ARGUMENT",
      /stride must be a positive integer or 3 of them in \(D, H, W\) order, got \[1,2\]/,
    ],
    [
      "negative padding",
      { ...base, padding: -1 },
      "TCONV3D_ARGUMENT",
      /padding must be a nonnegative integer or 3 of them/,
    ],
    [
      "padding and pads",
      { ...base, padding: 1, pads: [1, 1, 1, 1, 1, 1] },
      "TCONV3D_ARGUMENT",
      /give padding \(PyTorch\) or pads \(ONNX\), not both/,
    ],
    [
      "pads length",
      { ...base, pads: [1, 1, 1] },
      "TCONV3D_ARGUMENT",
      /pads must be 6 nonnegative integers \[beginD, beginH, beginW, endD, endH, endW\], got \[1,1,1\]/,
    ],
    [
      "output_padding too large",
      { ...base, stride: [2, 2, 2], output_padding: [0, 2, 0] },
      "TCONV3D_ARGUMENT",
      /output_padding \[0,2,0\] along H is 2; expected less than stride \(2\) or dilation \(1\)/,
    ],
    [
      "auto_pad unknown",
      { ...base, auto_pad: "SAME" },
      "TCONV3D_ARGUMENT",
      /auto_pad must be one of "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", got "SAME"/,
    ],
    [
      "auto_pad with pads",
      { ...base, auto_pad: "SAME_UPPER", pads: [0, 0, 0, 0, 0, 0] },
      "TCONV3D_ARGUMENT",
      /auto_pad "SAME_UPPER" computes the padding; do not also give padding or pads/,
    ],
    [
      "kernel_shape mismatch",
      { ...base, kernel_shape: [2, 2, 3] },
      "TCONV3D_SIZE",
      /kernel_shape \[2,2,3\] does not match weightShape \[2,3,2,2,2\]/,
    ],
    [
      "padding_mode",
      { ...base, padding_mode: "reflect" },
      "TCONV3D_ARGUMENT",
      /padding_mode must be "zeros"/,
    ],
    [
      "bias length",
      { ...base, bias: new Float32Array(2) },
      "TCONV3D_SIZE",
      /bias has 2 values; expected Cout = weightShape\[1\] \* groups = 3/,
    ],
    [
      "layerOptions",
      { ...base, layerOptions: { stride: 2 } },
      "TCONV3D_ARGUMENT",
      /layerOptions may hold name, weightLearnRateFactor, biasLearnRateFactor, weightL2Factor, biasL2Factor; got "stride"/,
    ],
  ];
  it.each(cases)("%s", (_, params, code, msg) => {
    expectThrows(
      T,
      () => T.fromConvTranspose3d(params as Tconv3d.ConvTranspose3dParams),
      code,
      msg,
    );
  });

  it("a crop that leaves no output fails at predict, naming the axis", () => {
    const layer = T.fromConvTranspose3d({ ...base, padding: 2 });
    const X = T.fromNCDHW(new Float32Array(2), [1, 2, 1, 1, 1]);
    // The core's refusal, translated: the input is too short for the crops.
    expectThrows(
      T,
      () => layer.predict(X),
      "TCONV3D_SIZE",
      /^transposedConv3dLayer: Cropping along spatial dimension 1 is 2\+2/,
    );
  });
});
