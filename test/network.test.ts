// dlnetwork and the activation layers: gradients against central finite differences (f64) and
// against the layers chained by hand, the optimizers on a network against the same steps layer
// by layer, safetensors round trips, a PyTorch decoder with BatchNorm3d folded against ONNX
// Runtime's ConvTranspose with the normalization applied by hand in f64, and bad input.

import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { expectThrows, maxAbs, maxDiff, values } from "./helpers.js";
import { onnxConvTranspose } from "./oracle/onnx.js";
import { simdPackage } from "./runtime-helpers.js";

let T: typeof Tconv3d;

beforeAll(async () => {
  T = await simdPackage();
});

type F = Float32Array | Float64Array;
type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

/** A transposed convolution with seeded weights and bias of the given precision. */
function conv(
  k: number,
  numFilters: number,
  numChannels: number,
  seed: number,
  Arr: Ctor,
  options: { stride?: number; cropping?: number | "same"; name?: string } = {},
): Tconv3d.TransposedConv3dLayer {
  const size = [k, k, k, numFilters, numChannels];
  const n = size.reduce((a, b) => a * b, 1);
  return T.transposedConv3dLayer(k, numFilters, {
    ...options,
    weights: new T.DlArray(values(n, seed, Arr), size),
    bias: values(numFilters, seed + 1, Arr),
  });
}

/** The activations by their formulas, for the chain computed by hand. */
const ACTIVATIONS = {
  relu: { f: (x: number) => Math.max(x, 0), df: (x: number) => (x > 0 ? 1 : 0) },
  leaky: { f: (x: number) => (x > 0 ? x : 0.2 * x), df: (x: number) => (x > 0 ? 1 : 0.2) },
  tanh: { f: Math.tanh, df: (x: number) => 1 - Math.tanh(x) ** 2 },
  sigmoid: {
    f: (x: number) => 1 / (1 + Math.exp(-x)),
    df: (x: number) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2,
  },
} as const;
type Kind = keyof typeof ACTIVATIONS;

function activation(kind: Kind): Tconv3d.ActivationLayer {
  switch (kind) {
    case "relu":
      return T.reluLayer();
    case "leaky":
      return T.leakyReluLayer(0.2);
    case "tanh":
      return T.tanhLayer();
    case "sigmoid":
      return T.sigmoidLayer();
  }
}

/** Networks as [filter, filters, stride, cropping, activation after it] per convolution. */
interface NetCase {
  name: string;
  channels: number;
  input: [number, number, number];
  convs: [number, number, number, number | "same", Kind | null][];
}
const NETS: NetCase[] = [
  {
    name: "decoder: k4 s2 -> leaky -> k4 s2 -> tanh -> k3 s1 same -> sigmoid",
    channels: 3,
    input: [2, 3, 2],
    convs: [
      [4, 4, 2, 1, "leaky"],
      [4, 3, 2, 1, "tanh"],
      [3, 1, 1, "same", "sigmoid"],
    ],
  },
  {
    name: "relu between, no activation at the end",
    channels: 2,
    input: [3, 2, 2],
    convs: [
      [3, 3, 2, 0, "relu"],
      [2, 2, 1, 0, null],
    ],
  },
];

function build(c: NetCase, Arr: Ctor): Tconv3d.Dlnetwork {
  const layers: Tconv3d.NetworkLayer[] = [];
  let ch = c.channels;
  for (const [i, [k, f, s, crop, act]] of c.convs.entries()) {
    layers.push(conv(k, f, ch, 10 * i + 3, Arr, { stride: s, cropping: crop }));
    if (act !== null) layers.push(activation(act));
    ch = f;
  }
  return T.dlnetwork(layers);
}

function input(c: NetCase, Arr: Ctor, seed = 1): Tconv3d.DlArray {
  const size = [...c.input, c.channels, 2];
  return T.dlarray(
    values(
      size.reduce((a, b) => a * b, 1),
      seed,
      Arr,
    ),
    size,
    "SSSCB",
  );
}

/** sum(Y .* R): its gradient with respect to Y is R. */
function loss(Y: Tconv3d.DlArray, R: F): number {
  let s = 0;
  for (let i = 0; i < R.length; i++) s += (Y.data[i] as number) * (R[i] as number);
  return s;
}

describe("dlnetwork gradients", () => {
  it.each(NETS)("$name: every gradient matches central finite differences (f64)", (c) => {
    const net = build(c, Float64Array);
    const X = input(c, Float64Array);
    const trace = net.forward(X);
    const R = values(trace.Y.numel, 7, Float64Array);
    const g = net.backward(trace, T.dlarray(R, trace.Y.size, trace.Y.format));
    const h = 1e-6;
    const fd = (set: (delta: number) => void) => {
      set(h);
      const up = loss(net.predict(X), R);
      set(-2 * h);
      const down = loss(net.predict(X), R);
      set(h);
      return (up - down) / (2 * h);
    };
    // Every fifth input value, and every fifth weight and every bias of each convolution.
    const dx = g.dLdX.data;
    for (let i = 0; i < X.numel; i += 5) {
      const num = fd((d) => {
        X.data[i] = (X.data[i] as number) + d;
      });
      expect(Math.abs(num - (dx[i] as number))).toBeLessThan(1e-6 * Math.max(1, maxAbs(dx)));
    }
    expect(g.gradients.map((e) => e.layer)).toEqual(net.learnableLayers.map((l) => l.name));
    for (const [j, layer] of net.learnableLayers.entries()) {
      const entry = g.gradients[j] as Tconv3d.LayerGradients;
      for (const [key, stride] of [
        ["weights", 5],
        ["bias", 1],
      ] as const) {
        const analytic = (key === "weights" ? entry.dLdW : entry.dLdB).data;
        const p = layer[key] as Tconv3d.DlArray;
        expect(analytic.length).toBe(p.numel);
        for (let i = 0; i < p.numel; i += stride) {
          const num = fd((d) => {
            p.data[i] = (p.data[i] as number) + d;
            layer[key] = p;
          });
          const scale = Math.max(1, maxAbs(analytic));
          expect(Math.abs(num - (analytic[i] as number))).toBeLessThan(1e-6 * scale);
        }
      }
    }
  });

  it.each(NETS)("$name: backward equals the layers chained by hand (f32)", (c) => {
    const net = build(c, Float32Array);
    const X = input(c, Float32Array);
    const trace = net.forward(X);
    const R = values(trace.Y.numel, 9);
    const dLdY = T.dlarray(R, trace.Y.size, trace.Y.format);
    const g = net.backward(trace, dLdY);
    // Forward by hand: each convolution's predict, each activation by its formula.
    const inputs: Tconv3d.DlArray<Float32Array>[] = [];
    const preacts: Tconv3d.DlArray<Float32Array>[] = [];
    let a = X as Tconv3d.DlArray<Float32Array>;
    for (const [i, [, , , , act]] of c.convs.entries()) {
      inputs.push(a);
      const z = (net.learnableLayers[i] as Tconv3d.TransposedConv3dLayer).predict(a);
      preacts.push(z);
      a = act === null ? z : T.dlarray(z.data.map(ACTIVATIONS[act].f), z.size, z.format as "SSSCB");
    }
    expect(trace.Y.data).toEqual(a.data);
    // Backward by hand, last layer first.
    let d = dLdY as Tconv3d.DlArray<Float32Array>;
    const expected: Tconv3d.Gradients<Float32Array>[] = [];
    for (let i = c.convs.length - 1; i >= 0; i--) {
      const act = (c.convs[i] as NetCase["convs"][number])[4];
      const z = preacts[i] as Tconv3d.DlArray<Float32Array>;
      if (act !== null) {
        const dd = d.data;
        d = T.dlarray(
          z.data.map((v, j) => ACTIVATIONS[act].df(v) * (dd[j] as number)),
          z.size,
          z.format as "SSSCB",
        );
      }
      const layer = net.learnableLayers[i] as Tconv3d.TransposedConv3dLayer;
      const gi = layer.backward(inputs[i] as Tconv3d.DlArray<Float32Array>, d);
      expected.unshift(gi);
      d = gi.dLdX;
    }
    // The activations' derivatives from x (here) and from y (tanh, sigmoid in the layer) round
    // differently in f32: agree to rounding.
    const tol = (a: ArrayLike<number>) => 1e-5 * Math.max(1, maxAbs(a));
    expect(maxDiff(g.dLdX.data, d.data)).toBeLessThan(tol(d.data));
    for (const [i, e] of expected.entries()) {
      const got = g.gradients[i] as Tconv3d.LayerGradients;
      expect(got.dLdW.size).toEqual(e.dLdW.size);
      expect(maxDiff(got.dLdW.data, e.dLdW.data)).toBeLessThan(tol(e.dLdW.data));
      expect(maxDiff(got.dLdB.data, e.dLdB.data)).toBeLessThan(tol(e.dLdB.data));
    }
  });

  it.each(Object.keys(ACTIVATIONS) as Kind[])("%s layer: predict and backward", (kind) => {
    const layer = activation(kind);
    const X = T.dlarray(values(24, 4, Float64Array), [2, 3, 4], "SSC");
    const Y = layer.predict(X);
    expect(Y.size).toEqual(X.size);
    expect(Y.format).toBe("SSC");
    expect(Y.dtype).toBe("double");
    const { f, df } = ACTIVATIONS[kind];
    for (let i = 0; i < 24; i++) {
      expect(Y.data[i]).toBeCloseTo(f(X.data[i] as number), 14);
    }
    const dLdY = T.dlarray(values(24, 5), [2, 3, 4], "SSC"); // single: converted
    const dLdX = layer.backward(X, Y, dLdY);
    expect(dLdX.dtype).toBe("double");
    for (let i = 0; i < 24; i++) {
      const want = df(X.data[i] as number) * (dLdY.data[i] as number);
      expect(dLdX.data[i]).toBeCloseTo(want, 12);
    }
  });
});

describe("optimizers on a network", () => {
  const c = NETS[0] as NetCase;

  it.each(["adam", "sgdm"] as const)(
    "%supdate(net) equals the layer update on each layer, frozen layers stay",
    (optimizer) => {
      const a = build(c, Float32Array);
      const b = build(c, Float32Array);
      (a.learnableLayers[1] as Tconv3d.TransposedConv3dLayer).weightLearnRateFactor = 0;
      (b.learnableLayers[1] as Tconv3d.TransposedConv3dLayer).weightLearnRateFactor = 0;
      const frozen = a.learnableLayers[1]?.weights?.data;
      const X = input(c, Float32Array);
      let sa: Tconv3d.NetworkAdamState | Tconv3d.NetworkSgdmState | undefined;
      let sb: (Tconv3d.AdamState | Tconv3d.SgdmState)[] = [];
      for (let step = 0; step < 3; step++) {
        const ta = a.forward(X);
        const ga = a.backward(ta, T.dlarray(values(ta.Y.numel, step), ta.Y.size, "SSSCB"));
        const tb = b.forward(X);
        const gb = b.backward(tb, T.dlarray(values(tb.Y.numel, step), tb.Y.size, "SSSCB"));
        if (optimizer === "adam") {
          sa = T.adamupdate(a, ga, sa as Tconv3d.NetworkAdamState | undefined, {
            learnRate: 0.01,
          });
          sb = b.learnableLayers.map((l, i) =>
            T.adamupdate(l, ga.gradients[i] as Tconv3d.LayerGradients, sb[i] as Tconv3d.AdamState, {
              learnRate: 0.01,
            }),
          );
        } else {
          sa = T.sgdmupdate(a, ga, sa as Tconv3d.NetworkSgdmState | undefined);
          sb = b.learnableLayers.map((l, i) =>
            T.sgdmupdate(l, ga.gradients[i] as Tconv3d.LayerGradients, sb[i] as Tconv3d.SgdmState),
          );
        }
        expect(gb.gradients[0]?.dLdW.data).toEqual(ga.gradients[0]?.dLdW.data);
      }
      expect(sa).toHaveLength(3);
      for (const [i, l] of a.learnableLayers.entries()) {
        expect(l.weights?.data).toEqual(b.learnableLayers[i]?.weights?.data);
        expect(l.bias?.data).toEqual(b.learnableLayers[i]?.bias?.data);
      }
      expect(a.learnableLayers[1]?.weights?.data).toEqual(frozen);
      expect(a.learnableLayers[0]?.weights?.data).not.toEqual(
        build(c, Float32Array).learnableLayers[0]?.weights?.data,
      );
    },
  );

  it("Adam fits a network to a target volume (loss falls 10x)", () => {
    T.rngSeed(0);
    const net = T.dlnetwork([
      T.transposedConv3dLayer(4, 4, { stride: 2, cropping: 1 }),
      T.leakyReluLayer(0.1),
      T.transposedConv3dLayer(3, 1, { cropping: "same" }),
    ]);
    const X = T.dlarray(values(4 * 4 * 4 * 2, 1), [4, 4, 4, 2], "SSSC");
    const target = values(8 * 8 * 8, 2);
    const losses: number[] = [];
    let state: Tconv3d.NetworkAdamState | undefined;
    for (let step = 0; step < 150; step++) {
      const trace = net.forward(X);
      const Y = trace.Y;
      let l = 0;
      const d = new Float32Array(Y.numel);
      for (let i = 0; i < Y.numel; i++) {
        const e = (Y.data[i] as number) - (target[i] as number);
        l += e * e;
        d[i] = (2 * e) / Y.numel;
      }
      losses.push(l / Y.numel);
      state = T.adamupdate(net, net.backward(trace, T.dlarray(d, Y.size, "SSSC")), state, {
        learnRate: 0.02,
        l2Regularization: 0,
      });
    }
    expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) / 10);
  });
});

describe("safetensors", () => {
  it("saveLearnables / loadLearnables round trip, all or nothing", () => {
    const c = NETS[0] as NetCase;
    const a = build(c, Float32Array);
    const bytes = a.saveLearnables({ note: "test" });
    const file = T.loadSafetensors(bytes);
    expect([...file.keys()].sort()).toEqual(
      a.learnableLayers.flatMap((l) => [`${l.name}.bias`, `${l.name}.weight`]).sort(),
    );
    expect(file.get("transposed-conv3d_1.weight")?.shape).toEqual([3, 4, 4, 4, 4]);
    T.rngSeed(5);
    const b = T.dlnetwork([
      T.transposedConv3dLayer(4, 4, { stride: 2, cropping: 1 }),
      T.leakyReluLayer(0.2),
      T.transposedConv3dLayer(4, 3, { stride: 2, cropping: 1 }),
      T.tanhLayer(),
      T.transposedConv3dLayer(3, 1, { cropping: "same" }),
      T.sigmoidLayer(),
    ]);
    expect(b.initialized).toBe(false);
    b.loadLearnables(bytes);
    expect(b.initialized).toBe(true);
    const X = input(c, Float32Array);
    expect(b.predict(X).data).toEqual(a.predict(X).data);
    expect(b.learnables.map((r) => [r.layer, r.parameter, r.value?.size])).toEqual(
      a.learnables.map((r) => [r.layer, r.parameter, r.value?.size]),
    );

    // A file without the last layer's weights, or with a first layer of other sizes: nothing
    // changes.
    const c2 = build(c, Float32Array);
    const before = c2.learnableLayers.map((l) => l.weights?.data);
    const partial = new Map(file);
    partial.delete("transposed-conv3d_3.weight");
    expectThrows(
      T,
      () => c2.loadLearnables(partial),
      "TCONV3D_ARGUMENT",
      /no tensor named "transposed-conv3d_3.weight"/,
    );
    const wrong = new Map(file);
    wrong.set("transposed-conv3d_1.weight", {
      ...(file.get("transposed-conv3d_1.weight") as Tconv3d.SafetensorsTensor),
      shape: [3, 4, 4, 4, 2, 2],
    });
    expectThrows(T, () => c2.loadLearnables(wrong), "TCONV3D_SIZE", /shape \[3,4,4,4,2,2\]/);
    expect(c2.learnableLayers.map((l) => l.weights?.data)).toEqual(before);
    expect(c2.predict(X).size).toEqual([8, 12, 8, 1, 2]);
  });
});

describe("fromPyTorchSequential", () => {
  // nn.Sequential(ConvTranspose3d(3, 4, 4, stride=2, padding=1), BatchNorm3d(4), ReLU(),
  //   ConvTranspose3d(4, 2, 3, padding=1, groups=2, bias=False), BatchNorm3d(2, affine=False),
  //   LeakyReLU(0.1), ConvTranspose3d(2, 1, 2, stride=2), Sigmoid())
  const W0: [number, number, number, number, number] = [3, 4, 4, 4, 4];
  const W3: [number, number, number, number, number] = [4, 1, 3, 3, 3];
  const W6: [number, number, number, number, number] = [2, 1, 2, 2, 2];
  const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const positive = (n: number, seed: number) => values(n, seed).map((v) => 0.5 + Math.abs(v));
  const state = new Map<string, { data: Float32Array; shape: number[] }>([
    ["dec.0.weight", { data: values(prod(W0), 11), shape: [...W0] }],
    ["dec.0.bias", { data: values(4, 12), shape: [4] }],
    ["dec.1.weight", { data: positive(4, 13), shape: [4] }],
    ["dec.1.bias", { data: values(4, 14), shape: [4] }],
    ["dec.1.running_mean", { data: values(4, 15), shape: [4] }],
    ["dec.1.running_var", { data: positive(4, 16), shape: [4] }],
    ["dec.3.weight", { data: values(prod(W3), 17), shape: [...W3] }],
    ["dec.4.running_mean", { data: values(2, 18), shape: [2] }],
    ["dec.4.running_var", { data: positive(2, 19), shape: [2] }],
    ["dec.6.weight", { data: values(prod(W6), 20), shape: [...W6] }],
    ["dec.6.bias", { data: values(1, 21), shape: [1] }],
  ]);
  const modules: Tconv3d.PyTorchModule[] = [
    { type: "ConvTranspose3d", name: "dec.0", stride: 2, padding: 1 },
    { type: "BatchNorm3d", name: "dec.1" },
    { type: "ReLU" },
    { type: "ConvTranspose3d", name: "dec.3", padding: 1, groups: 2 },
    { type: "BatchNorm3d", name: "dec.4", eps: 1e-3 },
    { type: "LeakyReLU", negative_slope: 0.1 },
    { type: "ConvTranspose3d", name: "dec.6", stride: 2 },
    { type: "Sigmoid", name: "out" },
  ];
  const get = (name: string) => (state.get(name) as { data: Float32Array }).data;

  /** BatchNorm3d in eval mode then an activation, by hand in f64, on row-major NCDHW. */
  function bnAct(
    y: Float32Array,
    channels: number,
    bn: { mean: F; variance: F; gamma?: F; beta?: F; eps: number },
    f: (x: number) => number,
  ): Float32Array {
    const per = y.length / channels; // N = 1
    return y.map((v, i) => {
      const o = Math.floor(i / per);
      const n = (v - (bn.mean[o] as number)) / Math.sqrt((bn.variance[o] as number) + bn.eps);
      return f(n * (bn.gamma?.[o] ?? 1) + (bn.beta?.[o] ?? 0));
    });
  }

  it("equals the module in eval mode (ONNX Runtime's ConvTranspose, BatchNorm by hand in f64)", async () => {
    const bytes = T.saveSafetensors(state);
    const net = T.fromPyTorchSequential(bytes, modules);
    expect(net.layers.map((l) => l.name)).toEqual([
      "dec.0",
      "relu_1",
      "dec.3",
      "leakyrelu_1",
      "dec.6",
      "out",
    ]);
    const xShape = [1, 3, 3, 2, 4] as const;
    const x = values(prod(xShape), 22);
    const y = net.predict(T.fromNCDHW(x, xShape)).toNCDHW();

    let h = await onnxConvTranspose({
      x,
      xShape,
      w: get("dec.0.weight"),
      wShape: W0,
      b: get("dec.0.bias"),
      strides: [2, 2, 2],
      pads: [1, 1, 1, 1, 1, 1],
    });
    let a = bnAct(
      h.data,
      4,
      {
        mean: get("dec.1.running_mean"),
        variance: get("dec.1.running_var"),
        gamma: get("dec.1.weight"),
        beta: get("dec.1.bias"),
        eps: 1e-5,
      },
      (v) => Math.max(v, 0),
    );
    h = await onnxConvTranspose({
      x: a,
      xShape: h.shape as unknown as [number, number, number, number, number],
      w: get("dec.3.weight"),
      wShape: W3,
      pads: [1, 1, 1, 1, 1, 1],
      group: 2,
    });
    a = bnAct(
      h.data,
      2,
      { mean: get("dec.4.running_mean"), variance: get("dec.4.running_var"), eps: 1e-3 },
      (v) => (v > 0 ? v : 0.1 * v),
    );
    h = await onnxConvTranspose({
      x: a,
      xShape: h.shape as unknown as [number, number, number, number, number],
      w: get("dec.6.weight"),
      wShape: W6,
      b: get("dec.6.bias"),
      strides: [2, 2, 2],
    });
    const expected = h.data.map((v) => 1 / (1 + Math.exp(-v)));
    expect(y.shape).toEqual(h.shape);
    expect(maxDiff(y.data, expected)).toBeLessThan(1e-5 * maxAbs(expected));

    // The folded network saves as a state_dict of its convolutions, and loads back.
    const saved = T.loadSafetensors(net.saveLearnables());
    expect([...saved.keys()].sort()).toEqual(
      ["dec.0", "dec.3", "dec.6"].flatMap((n) => [`${n}.bias`, `${n}.weight`]),
    );
    const again = T.fromPyTorchSequential(saved, [
      { type: "ConvTranspose3d", name: "dec.0", stride: 2, padding: 1 },
      { type: "ReLU" },
      { type: "ConvTranspose3d", name: "dec.3", padding: 1, groups: 2 },
      { type: "LeakyReLU", negative_slope: 0.1 },
      { type: "ConvTranspose3d", name: "dec.6", stride: 2 },
      { type: "Sigmoid", name: "out" },
    ]);
    expect(again.predict(T.fromNCDHW(x, xShape)).data).toEqual(y.data);
  });

  /** The state_dict as read from a file. */
  const file = () => T.loadSafetensors(T.saveSafetensors(state));
  const without = (key: string) => new Map([...file()].filter(([k]) => k !== key));
  const BAD: [string, () => unknown, Tconv3d.Tconv3dErrorCode, RegExp][] = [
    [
      "a BatchNorm3d first",
      () => T.fromPyTorchSequential(file(), [{ type: "BatchNorm3d", name: "dec.1" }]),
      "TCONV3D_ARGUMENT",
      /modules\[0\] is a BatchNorm3d \("dec.1"\) that does not follow a ConvTranspose3d/,
    ],
    [
      "an unknown module",
      () =>
        T.fromPyTorchSequential(file(), [
          ...modules,
          { type: "GELU" } as unknown as Tconv3d.PyTorchModule,
        ]),
      "TCONV3D_ARGUMENT",
      /modules\[8\] has type "GELU"; expected "ConvTranspose3d"/,
    ],
    [
      "a missing running_var",
      () => T.fromPyTorchSequential(without("dec.1.running_var"), modules),
      "TCONV3D_ARGUMENT",
      /modules\[1\]: the file has no tensor named "dec.1.running_var"/,
    ],
    [
      "a missing weight",
      () => T.fromPyTorchSequential(without("dec.6.weight"), modules),
      "TCONV3D_ARGUMENT",
      /modules\[6\]: the file has no tensor named "dec.6.weight"/,
    ],
    [
      "statistics of the wrong length",
      () =>
        T.fromPyTorchSequential(
          new Map([
            ...file(),
            [
              "dec.1.running_mean",
              {
                ...(file().get("dec.1.running_mean") as Tconv3d.SafetensorsTensor),
                data: values(3, 1),
                shape: [3],
              },
            ],
          ]),
          modules,
        ),
      "TCONV3D_SIZE",
      /"dec.1.running_mean" has shape \[3\]; expected \[4\]/,
    ],
    [
      "channels that do not chain",
      () =>
        T.fromPyTorchSequential(file(), [
          { type: "ConvTranspose3d", name: "dec.0", stride: 2, padding: 1 },
          { type: "ConvTranspose3d", name: "dec.6", stride: 2 },
        ]),
      "TCONV3D_SIZE",
      /layers\[1\] \("dec.6"\) has NumChannels = 2; expected 4/,
    ],
    [
      "a bad stride",
      () =>
        T.fromPyTorchSequential(file(), [{ type: "ConvTranspose3d", name: "dec.0", stride: 0 }]),
      "TCONV3D_ARGUMENT",
      /fromConvTranspose3d: stride must be a positive integer/,
    ],
  ];
  it.each(BAD)("refuses %s", (_what, f, code, message) => {
    expectThrows(T, f, code, message);
  });
});

describe("bad input", () => {
  const X = () => T.dlarray(values(2 * 2 * 2 * 3, 1), [2, 2, 2, 3], "SSSC");
  const net = () =>
    T.dlnetwork([
      T.transposedConv3dLayer(2, 4, { stride: 2, name: "up1" }),
      T.reluLayer({ name: "r" }),
      T.transposedConv3dLayer(2, 1, { stride: 2, name: "up2" }),
    ]);
  const BAD: [string, () => unknown, Tconv3d.Tconv3dErrorCode, RegExp][] = [
    [
      "an empty layer array",
      () => T.dlnetwork([]),
      "TCONV3D_ARGUMENT",
      /dlnetwork: layers must be a nonempty array of layers .*, got \[\]/,
    ],
    [
      "layers that are not an array",
      () => T.dlnetwork("relu" as unknown as Tconv3d.NetworkLayer[]),
      "TCONV3D_ARGUMENT",
      /layers must be a nonempty array .*, got "relu"/,
    ],
    [
      "something other than a layer",
      () => T.dlnetwork([T.transposedConv3dLayer(2, 1), {} as unknown as Tconv3d.NetworkLayer]),
      "TCONV3D_ARGUMENT",
      /layers\[1\] must be a layer .*, got \{\}/,
    ],
    [
      "no convolution",
      () => T.dlnetwork([T.reluLayer()]),
      "TCONV3D_ARGUMENT",
      /holds no transposedConv3dLayer/,
    ],
    [
      "one layer twice",
      () => {
        const l = T.transposedConv3dLayer(2, 2);
        return T.dlnetwork([l, l]);
      },
      "TCONV3D_ARGUMENT",
      /layers\[1\] .* is the same layer object as an earlier one/,
    ],
    [
      "names twice",
      () => T.dlnetwork([T.transposedConv3dLayer(2, 2, { name: "a" }), T.reluLayer({ name: "a" })]),
      "TCONV3D_ARGUMENT",
      /layers\[1\] and layers\[0\] are both named "a"/,
    ],
    [
      "channels that do not chain",
      () =>
        T.dlnetwork([
          T.transposedConv3dLayer(2, 8, { name: "a" }),
          T.tanhLayer(),
          T.transposedConv3dLayer(2, 1, { numChannels: 4, name: "b" }),
        ]),
      "TCONV3D_SIZE",
      /layers\[2\] \("b"\) has NumChannels = 4; expected 8, the NumFilters of layers\[0\] \("a"\)/,
    ],
    [
      "an input that is not a dlarray",
      () => net().predict(new Float32Array(8) as unknown as Tconv3d.DlArray),
      "TCONV3D_ARGUMENT",
      /dlnetwork.forward: X must be a DlArray, got Float32Array\(8\)/,
    ],
    [
      "an input without channels",
      () => net().predict(T.dlarray(new Float32Array(8), [2, 2, 2], "SSS")),
      "TCONV3D_FORMAT",
      /dlnetwork.initialize: X has format "SSS"; expected a C \(channel\) dimension/,
    ],
    [
      "an input of the wrong format",
      () => net().predict(T.dlarray(new Float32Array(12), [2, 2, 3], "SSC")),
      "TCONV3D_FORMAT",
      /transposedConv3dLayer: input format "SSC" is not supported \(it has 2 S dimensions\)/,
    ],
    [
      "an input with other channels than the layers'",
      () => {
        const n = net();
        n.initialize(X());
        return n.predict(T.dlarray(new Float32Array(16), [2, 2, 2, 2], "SSSC"));
      },
      "TCONV3D_SIZE",
      /the input has 2 channels \(its C dimension\); expected NumChannels = 3/,
    ],
    [
      "a trace of another network",
      () => net().backward(net().forward(X()), X()),
      "TCONV3D_ARGUMENT",
      /dlnetwork.backward: trace must be what this network's forward\(X\) returned/,
    ],
    [
      "a dLdY of the wrong size",
      () => {
        const n = net();
        return n.backward(n.forward(X()), X());
      },
      "TCONV3D_SIZE",
      /dLdY must be a dlarray of size \[8,8,8,1\] with format "SSSC" \(the output's\), got size \[2,2,2,3\]/,
    ],
    [
      "saving before initialization",
      () => net().saveLearnables(),
      "TCONV3D_ARGUMENT",
      /saveLearnables: the network has no learnables yet/,
    ],
    [
      "gradients of another network",
      () => {
        const n = net();
        const g = n.backward(n.forward(X()), n.predict(X()));
        const m = T.dlnetwork([T.transposedConv3dLayer(2, 4, { stride: 2 })], X());
        return T.adamupdate(m, g);
      },
      "TCONV3D_ARGUMENT",
      /adamupdate: grads must be what net.backward returned .* with 1 entries/,
    ],
    [
      "a state of the other optimizer",
      () => {
        const n = net();
        const t = n.forward(X());
        const g = n.backward(t, t.Y);
        return T.sgdmupdate(n, g, T.adamupdate(n, g) as unknown as Tconv3d.NetworkSgdmState);
      },
      "TCONV3D_ARGUMENT",
      /sgdmupdate: state\[0\] must be a state of optimizer "sgdm"/,
    ],
    [
      "a leaky scale that is not a number",
      () => T.leakyReluLayer(Number.NaN),
      "TCONV3D_ARGUMENT",
      /leakyReluLayer: scale must be a finite number, got NaN/,
    ],
    [
      "an unknown activation option",
      () => T.reluLayer({ nam: "x" } as unknown as Tconv3d.ActivationLayerOptions),
      "TCONV3D_ARGUMENT",
      /reluLayer: unknown option "nam"; expected name/,
    ],
    [
      "a name that is not a string",
      () => T.sigmoidLayer("Name", 3 as unknown as string),
      "TCONV3D_ARGUMENT",
      /sigmoidLayer: Name must be a string, got 3/,
    ],
    [
      "an activation's dLdY of another size",
      () => T.tanhLayer().backward(X(), X(), T.dlarray(new Float32Array(3), [1, 1, 1, 3], "SSSC")),
      "TCONV3D_SIZE",
      /TanhLayer: dLdY has size \[1,1,1,3\]; expected \[2,2,2,3\]/,
    ],
  ];
  it.each(BAD)("refuses %s, and the network still works", (_what, f, code, message) => {
    expectThrows(T, f, code, message);
    const n = net();
    expect(n.predict(X()).size).toEqual([8, 8, 8, 1]);
  });

  it("names unnamed layers by kind and count, and displays as MATLAB does", () => {
    const n = T.dlnetwork([
      T.transposedConv3dLayer(2, 2),
      T.leakyReluLayer(0.3, "Name", "lrelu"),
      T.transposedConv3dLayer(2, 2),
      T.reluLayer(),
      T.transposedConv3dLayer(2, 1, { name: "transposed-conv3d_2" }),
    ]);
    expect(n.layers.map((l) => l.name)).toEqual([
      "transposed-conv3d_1",
      "lrelu",
      "transposed-conv3d_3",
      "relu_1",
      "transposed-conv3d_2",
    ]);
    expect(String(n.layers[1])).toContain("LeakyReLULayer with properties");
    expect(String(n.layers[1])).toMatch(/Scale: 0.3/);
    expect(String(n)).toMatch(/Layers: \[5x1 layer array\][\s\S]*Initialized: 0/);
  });
});
