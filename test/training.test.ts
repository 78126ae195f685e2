// sgdmupdate / adamupdate: MATLAB's solver formulas (docs/semantics.md "Training factors") checked
// element by element on tiny layers, every factor (0 freezes), argument validation, and small
// training loops that fit a layer to a hidden layer's output.

import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { expectThrows, values } from "./helpers.js";
import { simdPackage } from "./runtime-helpers.js";

let T: typeof Tconv3d;

beforeAll(async () => {
  T = await simdPackage();
});

type F = Float32Array | Float64Array;

/** Rounds like the storage of `like` (f32 or f64). */
const storeAs = (like: F) => (like instanceof Float32Array ? Math.fround : (x: number) => x);

/** The SGDM formula on plain numbers; returns [p, v] after one step, stored like `p0`. */
function sgdmRef(
  p0: F,
  g: ArrayLike<number>,
  v0: ArrayLike<number> | null,
  alpha: number,
  lambda: number,
  mu: number,
): [number[], number[]] {
  const r = storeAs(p0);
  const p: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < p0.length; i++) {
    const gi = (g[i] as number) + lambda * (p0[i] as number);
    const vi = r(mu * (v0 ? (v0[i] as number) : 0) - alpha * gi);
    v.push(vi);
    p.push(r((p0[i] as number) + vi));
  }
  return [p, v];
}

/** The Adam formula; returns [p, m, v] after step t. */
function adamRef(
  p0: F,
  g: ArrayLike<number>,
  m0: ArrayLike<number> | null,
  v0: ArrayLike<number> | null,
  t: number,
  alpha: number,
  lambda: number,
  b1: number,
  b2: number,
  eps: number,
): [number[], number[], number[]] {
  const r = storeAs(p0);
  const p: number[] = [];
  const m: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < p0.length; i++) {
    const gi = (g[i] as number) + lambda * (p0[i] as number);
    const mi = r(b1 * (m0 ? (m0[i] as number) : 0) + (1 - b1) * gi);
    const vi = r(b2 * (v0 ? (v0[i] as number) : 0) + (1 - b2) * gi * gi);
    m.push(mi);
    v.push(vi);
    const lr = (alpha * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    p.push(r((p0[i] as number) - (lr * mi) / (Math.sqrt(vi) + eps)));
  }
  return [p, m, v];
}

/** A tiny layer: filter [2 1 1], 3 filters, 2 channels (12 weights), explicit learnables. */
function tiny(
  opts: Record<string, unknown> = {},
  Ctor: typeof Float32Array | typeof Float64Array = Float32Array,
) {
  const w = values(2 * 3 * 2, 3, Ctor);
  const b = values(3, 4, Ctor);
  const layer = T.transposedConv3dLayer([2, 1, 1], 3, { weights: w, bias: b, ...opts });
  const gw = values(12, 5, Ctor);
  const gb = values(3, 6, Ctor);
  return { layer, w, b, grads: { dLdW: T.dlarray(gw, [2, 1, 1, 3, 2]), dLdB: gb }, gw, gb };
}

const data = (a: Tconv3d.DlArray | null) => Array.from((a as Tconv3d.DlArray).data);

describe("sgdmupdate: the formula", () => {
  const factorCases: Array<[string, Record<string, number>]> = [
    ["defaults (WeightL2Factor 1, BiasL2Factor 0)", {}],
    ["WeightLearnRateFactor 2", { weightLearnRateFactor: 2 }],
    ["BiasLearnRateFactor 0.5", { biasLearnRateFactor: 0.5 }],
    ["WeightL2Factor 3", { weightL2Factor: 3 }],
    ["WeightL2Factor 0", { weightL2Factor: 0 }],
    ["BiasL2Factor 2", { biasL2Factor: 2 }],
  ];
  it.each(factorCases)("two steps, %s", (_, factors) => {
    const { layer, w, b, grads, gw, gb } = tiny(factors);
    const a = 0.05;
    const mu = 0.8;
    const l = 0.01;
    const wlr = factors.weightLearnRateFactor ?? 1;
    const blr = factors.biasLearnRateFactor ?? 1;
    const wl2 = factors.weightL2Factor ?? 1;
    const bl2 = factors.biasL2Factor ?? 0;
    const s1 = T.sgdmupdate(layer, grads, undefined, {
      learnRate: a,
      momentum: mu,
      l2Regularization: l,
    });
    const [w1, vw1] = sgdmRef(w, gw, null, a * wlr, l * wl2, mu);
    const [b1, vb1] = sgdmRef(b, gb, null, a * blr, l * bl2, mu);
    expect(data(layer.weights)).toEqual(w1);
    expect(data(layer.bias)).toEqual(b1);
    expect(Array.from(s1.weightVelocity)).toEqual(vw1);
    expect(Array.from(s1.biasVelocity)).toEqual(vb1);
    expect(s1.optimizer).toBe("sgdm");
    expect(s1.weightVelocity).toBeInstanceOf(Float32Array);
    // Second step: the velocity carries over.
    const s2 = T.sgdmupdate(layer, grads, s1, { learnRate: a, momentum: mu, l2Regularization: l });
    const [w2, vw2] = sgdmRef(Float32Array.from(w1), gw, vw1, a * wlr, l * wl2, mu);
    const [b2, vb2] = sgdmRef(Float32Array.from(b1), gb, vb1, a * blr, l * bl2, mu);
    expect(data(layer.weights)).toEqual(w2);
    expect(data(layer.bias)).toEqual(b2);
    expect(Array.from(s2.weightVelocity)).toEqual(vw2);
    expect(Array.from(s2.biasVelocity)).toEqual(vb2);
  });

  it("defaults: learnRate 0.01, momentum 0.9, l2Regularization 1e-4", () => {
    const { layer, w, b, grads, gw, gb } = tiny();
    const s = T.sgdmupdate(layer, grads);
    const [w1, vw1] = sgdmRef(w, gw, null, 0.01, 1e-4, 0.9);
    const [b1] = sgdmRef(b, gb, null, 0.01, 0, 0.9);
    expect(data(layer.weights)).toEqual(w1);
    expect(data(layer.bias)).toEqual(b1);
    expect(Array.from(s.weightVelocity)).toEqual(vw1);
  });

  it("a learn-rate factor of 0 leaves the parameter and its velocity untouched", () => {
    const { layer, w, b, grads, gw } = tiny({ biasLearnRateFactor: 0 });
    const s1 = T.sgdmupdate(layer, grads, undefined, { learnRate: 0.1 });
    expect(data(layer.bias)).toEqual(Array.from(b));
    expect(Array.from(s1.biasVelocity)).toEqual([0, 0, 0]);
    // Freeze the weights after a step: with a nonzero velocity they still must not move.
    const before = data(layer.weights);
    expect(before).not.toEqual(Array.from(w));
    layer.weightLearnRateFactor = 0;
    const s2 = T.sgdmupdate(layer, grads, s1, { learnRate: 0.1 });
    expect(data(layer.weights)).toEqual(before);
    expect(Array.from(s2.weightVelocity)).toEqual(Array.from(s1.weightVelocity));
    // Unfreeze: the kept velocity is used again.
    layer.weightLearnRateFactor = 1;
    T.sgdmupdate(layer, grads, s2, { learnRate: 0.1 });
    const [w3] = sgdmRef(Float32Array.from(before), gw, s2.weightVelocity, 0.1, 1e-4, 0.9);
    expect(data(layer.weights)).toEqual(w3);
  });

  it("double weights keep double state; double gradients update single weights", () => {
    const d = tiny({}, Float64Array);
    const s = T.sgdmupdate(d.layer, d.grads, undefined, { learnRate: 0.1 });
    expect(s.weightVelocity).toBeInstanceOf(Float64Array);
    expect((d.layer.weights as Tconv3d.DlArray).dtype).toBe("double");
    const [w1] = sgdmRef(d.w, d.gw, null, 0.1, 1e-4, 0.9);
    expect(data(d.layer.weights)).toEqual(w1);

    const f = tiny();
    const g64 = { dLdW: Float64Array.from(f.gw), dLdB: Float64Array.from(f.gb) };
    T.sgdmupdate(f.layer, g64, undefined, { learnRate: 0.1 });
    expect((f.layer.weights as Tconv3d.DlArray).dtype).toBe("single");
    expect(data(f.layer.weights)).toEqual(sgdmRef(f.w, f.gw, null, 0.1, 1e-4, 0.9)[0]);
  });

  it("the state passed in is not modified, and is plain typed data", () => {
    const { layer, grads } = tiny();
    const s1 = T.sgdmupdate(layer, grads);
    const copy = Array.from(s1.weightVelocity);
    const s2 = T.sgdmupdate(layer, grads, s1);
    expect(Array.from(s1.weightVelocity)).toEqual(copy);
    expect(s2.weightVelocity).not.toBe(s1.weightVelocity);
    expect(s1.weightSize).toEqual([2, 1, 1, 3, 2]);
    // Structured clone (postMessage, IndexedDB) keeps it usable.
    const cloned = structuredClone(s2);
    expect(() => T.sgdmupdate(layer, grads, cloned)).not.toThrow();
  });
});

describe("adamupdate: the formula", () => {
  const factorCases: Array<[string, Record<string, number>]> = [
    ["defaults", {}],
    ["WeightLearnRateFactor 3", { weightLearnRateFactor: 3 }],
    ["BiasLearnRateFactor 0.25", { biasLearnRateFactor: 0.25 }],
    ["WeightL2Factor 2", { weightL2Factor: 2 }],
    ["BiasL2Factor 1", { biasL2Factor: 1 }],
  ];
  it.each(factorCases)("three steps with bias correction, %s", (_, factors) => {
    const { layer, w, b, grads, gw, gb } = tiny(factors);
    const o = {
      learnRate: 0.02,
      gradientDecayFactor: 0.8,
      squaredGradientDecayFactor: 0.95,
      epsilon: 1e-6,
      l2Regularization: 0.03,
    };
    const wa = o.learnRate * (factors.weightLearnRateFactor ?? 1);
    const ba = o.learnRate * (factors.biasLearnRateFactor ?? 1);
    const wl = o.l2Regularization * (factors.weightL2Factor ?? 1);
    const bl = o.l2Regularization * (factors.biasL2Factor ?? 0);
    let st: Tconv3d.AdamState | undefined;
    let pw: F = w;
    let pb: F = b;
    let mw: number[] | null = null;
    let vw: number[] | null = null;
    let mb: number[] | null = null;
    let vb: number[] | null = null;
    for (let t = 1; t <= 3; t++) {
      st = T.adamupdate(layer, grads, st, o);
      const rw = adamRef(pw, gw, mw, vw, t, wa, wl, 0.8, 0.95, 1e-6);
      const rb = adamRef(pb, gb, mb, vb, t, ba, bl, 0.8, 0.95, 1e-6);
      expect(st.iteration).toBe(t);
      expect(data(layer.weights)).toEqual(rw[0]);
      expect(data(layer.bias)).toEqual(rb[0]);
      expect(Array.from(st.weightAverageGrad)).toEqual(rw[1]);
      expect(Array.from(st.weightAverageSqGrad)).toEqual(rw[2]);
      expect(Array.from(st.biasAverageGrad)).toEqual(rb[1]);
      expect(Array.from(st.biasAverageSqGrad)).toEqual(rb[2]);
      pw = Float32Array.from(rw[0]);
      pb = Float32Array.from(rb[0]);
      [, mw, vw] = rw;
      [, mb, vb] = rb;
    }
  });

  it("defaults: learnRate 0.001, decays 0.9 / 0.999, epsilon 1e-8, l2Regularization 1e-4", () => {
    const { layer, w, grads, gw } = tiny();
    const st = T.adamupdate(layer, grads);
    const [w1, m1, v1] = adamRef(w, gw, null, null, 1, 0.001, 1e-4, 0.9, 0.999, 1e-8);
    expect(data(layer.weights)).toEqual(w1);
    expect(Array.from(st.weightAverageGrad)).toEqual(m1);
    expect(Array.from(st.weightAverageSqGrad)).toEqual(v1);
  });

  it("a learn-rate factor of 0 leaves the parameter and its moments untouched", () => {
    const { layer, b, grads } = tiny();
    const s1 = T.adamupdate(layer, grads);
    const w1 = data(layer.weights);
    layer.weightLearnRateFactor = 0;
    layer.biasLearnRateFactor = 0;
    const b1 = data(layer.bias);
    expect(b1).not.toEqual(Array.from(b));
    const s2 = T.adamupdate(layer, grads, s1);
    expect(data(layer.weights)).toEqual(w1);
    expect(data(layer.bias)).toEqual(b1);
    expect(Array.from(s2.weightAverageGrad)).toEqual(Array.from(s1.weightAverageGrad));
    expect(Array.from(s2.biasAverageSqGrad)).toEqual(Array.from(s1.biasAverageSqGrad));
    expect(s2.iteration).toBe(2);
  });

  it("gradients straight from layer.backward, and the next predict sees the new weights", () => {
    const layer = T.transposedConv3dLayer(2, 3, { stride: 2 });
    const X = T.dlarray(values(3 * 3 * 3 * 2, 9, Float32Array), [3, 3, 3, 2], "SSSC");
    const Y0 = layer.predict(X);
    const grads = layer.backward(X, Y0);
    const w0 = layer.weights as Tconv3d.DlArray;
    T.adamupdate(layer, grads, undefined, { learnRate: 0.1 });
    const w1 = layer.weights as Tconv3d.DlArray;
    expect(data(w1)).not.toEqual(data(w0));
    // The plan cache re-packs: predict equals the functional form on the new weights.
    const Y1 = layer.predict(X);
    const ref = T.dltranspconv(X, w1, (layer.bias as Tconv3d.DlArray).data, { stride: 2 });
    expect(Array.from(Y1.data)).toEqual(Array.from(ref.data));
  });
});

describe("validation (the layer is unchanged after an error)", () => {
  it("rejects bad options with the name, value and expectation", () => {
    const { layer, grads } = tiny();
    const w = data(layer.weights);
    const cases: Array<[() => unknown, Tconv3d.Tconv3dErrorCode, RegExp]> = [
      [
        () => T.sgdmupdate(layer, grads, undefined, { learnRate: 0 }),
        "TCONV3D_ARGUMENT",
        /sgdmupdate: learnRate must be a positive finite number, got 0/,
      ],
      [
        () => T.sgdmupdate(layer, grads, undefined, { learnRate: Number.NaN }),
        "TCONV3D_ARGUMENT",
        /learnRate must be a positive finite number, got NaN/,
      ],
      [
        () => T.sgdmupdate(layer, grads, undefined, { momentum: 1.5 }),
        "TCONV3D_ARGUMENT",
        /momentum must be a number in \[0, 1\], got 1.5/,
      ],
      [
        () => T.sgdmupdate(layer, grads, undefined, { l2Regularization: -1 }),
        "TCONV3D_ARGUMENT",
        /l2Regularization must be a nonnegative finite number, got -1/,
      ],
      [
        () => T.sgdmupdate(layer, grads, undefined, { learnRate: "0.1" as unknown as number }),
        "TCONV3D_ARGUMENT",
        /learnRate must be a positive finite number, got "0.1"/,
      ],
      [
        () => T.sgdmupdate(layer, grads, undefined, { learningRate: 0.1 } as never),
        "TCONV3D_ARGUMENT",
        /unknown option "learningRate"; expected one of learnRate, momentum, l2Regularization/,
      ],
      [
        () => T.sgdmupdate(layer, grads, undefined, 0.1 as never),
        "TCONV3D_ARGUMENT",
        /options must be an object, got 0.1/,
      ],
      [
        () => T.adamupdate(layer, grads, undefined, { gradientDecayFactor: 1 }),
        "TCONV3D_ARGUMENT",
        /adamupdate: gradientDecayFactor must be a number in \[0, 1\), got 1/,
      ],
      [
        () => T.adamupdate(layer, grads, undefined, { squaredGradientDecayFactor: -0.1 }),
        "TCONV3D_ARGUMENT",
        /squaredGradientDecayFactor must be a number in \[0, 1\), got -0.1/,
      ],
      [
        () => T.adamupdate(layer, grads, undefined, { epsilon: 0 }),
        "TCONV3D_ARGUMENT",
        /epsilon must be a positive finite number, got 0/,
      ],
      [
        () => T.adamupdate(layer, grads, undefined, { momentum: 0.9 } as never),
        "TCONV3D_ARGUMENT",
        /unknown option "momentum"/,
      ],
    ];
    for (const [fn, code, msg] of cases) expectThrows(T, fn, code, msg);
    expect(data(layer.weights)).toEqual(w);
  });

  it("rejects a wrong layer, missing learnables and bad gradients", () => {
    const { layer, grads } = tiny();
    expectThrows(
      T,
      () => T.sgdmupdate({} as never, grads),
      "TCONV3D_ARGUMENT",
      /sgdmupdate: layer must be a TransposedConv3dLayer/,
    );
    const empty = T.transposedConv3dLayer(2, 3, { name: "up1" });
    expectThrows(
      T,
      () => T.adamupdate(empty, grads),
      "TCONV3D_ARGUMENT",
      /adamupdate: layer "up1" has no weights yet; call layer.initialize\(X\)/,
    );
    expectThrows(
      T,
      () => T.sgdmupdate(layer, undefined as never),
      "TCONV3D_ARGUMENT",
      /grads must be \{ dLdW, dLdB \} as layer.backward returns, got undefined/,
    );
    expectThrows(
      T,
      () => T.sgdmupdate(layer, { dLdW: grads.dLdW } as never),
      "TCONV3D_ARGUMENT",
      /grads.dLdB must be a DlArray or Float32Array\/Float64Array, got undefined/,
    );
    expectThrows(
      T,
      () =>
        T.sgdmupdate(layer, {
          dLdW: T.dlarray(new Float32Array(12), [1, 2, 1, 3, 2]),
          dLdB: grads.dLdB,
        }),
      "TCONV3D_SIZE",
      /grads.dLdW has size \[1,2,1,3,2\]; expected \[2,1,1,3,2\] \(the size of the weights\)/,
    );
    expectThrows(
      T,
      () => T.sgdmupdate(layer, { dLdW: new Float32Array(11), dLdB: grads.dLdB }),
      "TCONV3D_SIZE",
      /grads.dLdW has 11 values; expected 12/,
    );
    expectThrows(
      T,
      () => T.adamupdate(layer, { dLdW: grads.dLdW, dLdB: new Float64Array(4) }),
      "TCONV3D_SIZE",
      /grads.dLdB has 4 values; expected 3 \(the size of the bias/,
    );
    // Trailing singleton dimensions do not matter.
    expect(() =>
      T.sgdmupdate(layer, {
        dLdW: T.dlarray(new Float32Array(12), [2, 1, 1, 3, 2, 1]),
        dLdB: grads.dLdB,
      }),
    ).not.toThrow();
  });

  it("rejects a state of the other optimizer, of another layer or malformed", () => {
    const { layer, grads } = tiny();
    const other = T.transposedConv3dLayer(1, 3, {
      weights: new Float32Array(6),
      bias: new Float32Array(3),
    });
    const otherState = T.sgdmupdate(other, {
      dLdW: new Float32Array(6),
      dLdB: new Float32Array(3),
    });
    const before = data(layer.weights);
    expectThrows(
      T,
      () => T.sgdmupdate(layer, grads, otherState),
      "TCONV3D_SIZE",
      /sgdmupdate: the state was made for weights of size \[1,1,1,3,2\]; this layer's weights have size \[2,1,1,3,2\] \(a state from another layer\?\)/,
    );
    const adam = T.adamupdate(layer, grads);
    const after = data(layer.weights);
    expect(after).not.toEqual(before);
    expectThrows(
      T,
      () => T.sgdmupdate(layer, grads, adam as never),
      "TCONV3D_ARGUMENT",
      /state must be undefined \(first step\) or what sgdmupdate returned, got a state of optimizer "adam"/,
    );
    expectThrows(
      T,
      () => T.adamupdate(layer, grads, { ...adam, iteration: -1 }),
      "TCONV3D_ARGUMENT",
      /state.iteration must be a nonnegative integer, got -1/,
    );
    expectThrows(
      T,
      () => T.adamupdate(layer, grads, { ...adam, weightAverageGrad: new Float32Array(5) }),
      "TCONV3D_SIZE",
      /state.weightAverageGrad has 5 values; expected 12/,
    );
    expectThrows(
      T,
      () => T.adamupdate(layer, grads, { ...adam, biasAverageSqGrad: [0, 0, 0] } as never),
      "TCONV3D_ARGUMENT",
      /state.biasAverageSqGrad must be a Float32Array or Float64Array, got/,
    );
    expect(data(layer.weights)).toEqual(after);
  });
});

describe("training loops fit a layer to a hidden layer's output", () => {
  /** MSE fit of `layer` to `hidden`'s output on a fixed input; returns [first, last] losses. */
  function train(
    layer: Tconv3d.TransposedConv3dLayer,
    hidden: Tconv3d.TransposedConv3dLayer,
    X: Tconv3d.DlArray,
    steps: number,
    update: (g: Tconv3d.Gradients) => void,
  ): [number, number] {
    const target = hidden.predict(X);
    let first = Number.NaN;
    let loss = Number.NaN;
    for (let it = 0; it < steps; it++) {
      const Y = layer.predict(X);
      const d = new (Y.data.constructor as typeof Float64Array)(Y.numel);
      loss = 0;
      for (let i = 0; i < Y.numel; i++) {
        const r = (Y.data[i] as number) - (target.data[i] as number);
        loss += r * r;
        d[i] = (2 * r) / Y.numel; // dL/dY of the mean squared error
      }
      loss /= Y.numel;
      if (it === 0) first = loss;
      update(layer.backward(X, T.dlarray(d, Y.size, Y.format)));
    }
    return [first, loss];
  }

  function problem(Ctor: typeof Float32Array | typeof Float64Array) {
    T.rngSeed(1);
    const opts = { stride: 2, cropping: 1, numChannels: 3 };
    const hidden = T.transposedConv3dLayer(3, 4, { ...opts, biasInitializer: "narrow-normal" });
    const X = T.dlarray(values(5 * 5 * 5 * 3 * 2, 77, Ctor), [5, 5, 5, 3, 2], "SSSCB");
    hidden.initialize(X);
    // The student starts from other random weights, in the input's precision.
    const w0 = values(27 * 4 * 3, 78, Ctor).map((v) => v * 0.2);
    const layer = T.transposedConv3dLayer(3, 4, { ...opts, weights: w0, bias: new Ctor(4) });
    return { hidden, layer, X };
  }

  const closeTo = (a: Tconv3d.DlArray | null, b: Tconv3d.DlArray | null, tol: number) => {
    const x = (a as Tconv3d.DlArray).data;
    const y = (b as Tconv3d.DlArray).data;
    let m = 0;
    for (let i = 0; i < x.length; i++)
      m = Math.max(m, Math.abs((x[i] as number) - (y[i] as number)));
    expect(m).toBeLessThan(tol);
  };

  for (const [Ctor, label] of [
    [Float32Array, "f32"],
    [Float64Array, "f64"],
  ] as const) {
    it(`sgdm drives the loss down by orders of magnitude (${label})`, () => {
      const { hidden, layer, X } = problem(Ctor);
      let vel: Tconv3d.SgdmState | undefined;
      const [first, last] = train(layer, hidden, X, 200, (g) => {
        vel = T.sgdmupdate(layer, g, vel, { learnRate: 1, momentum: 0.9, l2Regularization: 0 });
      });
      expect(first).toBeGreaterThan(1e-3);
      expect(last).toBeLessThan(1e-6 * first);
      // The problem is overdetermined: the hidden layer's learnables are recovered.
      closeTo(layer.weights, hidden.weights, 1e-3);
      closeTo(layer.bias, hidden.bias, 1e-3);
    });

    it(`adam drives the loss down by orders of magnitude (${label})`, () => {
      const { hidden, layer, X } = problem(Ctor);
      let st: Tconv3d.AdamState | undefined;
      const [first, last] = train(layer, hidden, X, 200, (g) => {
        st = T.adamupdate(layer, g, st, { learnRate: 0.01, l2Regularization: 0 });
      });
      expect(st?.iteration).toBe(200);
      expect(last).toBeLessThan(1e-5 * first);
      closeTo(layer.weights, hidden.weights, 1e-2);
    });
  }

  it("with the default L2 regularization the loss still drops by 1e-3 (sgdm, f32)", () => {
    const { hidden, layer, X } = problem(Float32Array);
    let vel: Tconv3d.SgdmState | undefined;
    const [first, last] = train(layer, hidden, X, 200, (g) => {
      vel = T.sgdmupdate(layer, g, vel, { learnRate: 1 });
    });
    expect(last).toBeLessThan(1e-3 * first);
  });
});
