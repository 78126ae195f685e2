/**
 * Training updates with MATLAB's solver semantics: `sgdmupdate` and `adamupdate` for a
 * {@link TransposedConv3dLayer}, honouring its learn-rate and L2 factors.
 *
 * For each learnable `p` (the weights, then the bias) with gradient `g`, factors
 * `LearnRateFactor_p` and `L2Factor_p`, global learning rate `a` and global L2 regularization `l`:
 *
 *     lambda = l * L2Factor_p        alpha = a * LearnRateFactor_p        g' = g + lambda * p
 *
 * - **SGDM**: `v = mu*v - alpha*g'; p = p + v`.
 * - **Adam** (step `t` = 1, 2, ...): `m = b1*m + (1-b1)*g'; v = b2*v + (1-b2)*g'^2;
 *   p = p - alpha * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)`.
 *
 * A learn-rate factor of 0 freezes `p` entirely: neither `p` nor its optimizer state changes
 * (MATLAB's way of freezing a parameter). An L2 factor of 0 only drops the `lambda * p` term.
 *
 * Arithmetic is done per element in double precision; `p` and the state are stored back in
 * `p`'s precision (a single-precision layer keeps `Float32Array` weights and state). Gradients of
 * either precision are accepted (a `double` input yields `double` gradients for `single`
 * weights). The functions update the layer in place and return the new optimizer state as plain
 * typed data; the state passed in is not modified.
 *
 * @module
 */

import { DlArray, describeValue, type FloatArray, isFloatArray } from "../dlarray/index.js";
import { ArgumentError, SizeError } from "../errors.js";
import { learnablesOf, TransposedConv3dLayer } from "../layer/layer.js";
import { Dlnetwork, type NetworkGradients } from "../network/network.js";
import { type NetworkAdamState, type NetworkSgdmState, updateNetwork } from "../network/update.js";

/** Optimizer state of {@link sgdmupdate}: one velocity per learnable, in its precision. */
export interface SgdmState {
  /** Tag checked when the state is passed back. */
  readonly optimizer: "sgdm";
  /** The size of the weights this state belongs to. */
  readonly weightSize: readonly number[];
  /** Velocity of the weights, column-major like them. */
  readonly weightVelocity: FloatArray;
  /** Velocity of the bias (`numFilters` values). */
  readonly biasVelocity: FloatArray;
}

/** Optimizer state of {@link adamupdate}: moving averages per learnable, and the step count. */
export interface AdamState {
  /** Tag checked when the state is passed back. */
  readonly optimizer: "adam";
  /** Number of updates made so far (`t` of the last step; the next step uses `t + 1`). */
  readonly iteration: number;
  /** The size of the weights this state belongs to. */
  readonly weightSize: readonly number[];
  /** Moving average of the weights' gradient (MATLAB's `averageGrad`). */
  readonly weightAverageGrad: FloatArray;
  /** Moving average of the weights' squared gradient (MATLAB's `averageSqGrad`). */
  readonly weightAverageSqGrad: FloatArray;
  /** Moving average of the bias gradient. */
  readonly biasAverageGrad: FloatArray;
  /** Moving average of the squared bias gradient. */
  readonly biasAverageSqGrad: FloatArray;
}

/** Options of {@link sgdmupdate}. */
export interface SgdmOptions {
  /** Global learning rate `a`, a positive finite number. Default 0.01. */
  learnRate?: number;
  /** Momentum `mu`, in `[0, 1]`. Default 0.9. */
  momentum?: number;
  /** Global L2 regularization `l`, nonnegative. Default 1e-4. */
  l2Regularization?: number;
}

/** Options of {@link adamupdate}. */
export interface AdamOptions {
  /** Global learning rate `a`, a positive finite number. Default 0.001. */
  learnRate?: number;
  /** Decay `b1` of the gradient average, in `[0, 1)`. Default 0.9. */
  gradientDecayFactor?: number;
  /** Decay `b2` of the squared-gradient average, in `[0, 1)`. Default 0.999. */
  squaredGradientDecayFactor?: number;
  /** Denominator offset `eps`, a positive finite number. Default 1e-8. */
  epsilon?: number;
  /** Global L2 regularization `l`, nonnegative. Default 1e-4. */
  l2Regularization?: number;
}

/** The gradients the optimizers read: what `layer.backward` returns (`dLdX` is ignored). */
export interface LearnableGradients {
  /** Gradient of the loss with respect to the weights (same size as the weights). */
  readonly dLdW: DlArray | FloatArray;
  /** Gradient of the loss with respect to the bias (`numFilters` values). */
  readonly dLdB: DlArray | FloatArray;
}

type Check = (v: number) => boolean;

function options<T extends object>(
  value: unknown,
  where: string,
  spec: Record<keyof T & string, [number, Check, string]>,
): Record<keyof T & string, number> {
  if (
    value !== undefined &&
    (value === null || typeof value !== "object" || Array.isArray(value))
  ) {
    throw new ArgumentError(`${where}: options must be an object, got ${describeValue(value)}`);
  }
  const o = (value ?? {}) as Record<string, unknown>;
  const keys = Object.keys(spec);
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) {
      throw new ArgumentError(
        `${where}: unknown option ${describeValue(k)}; expected one of ${keys.join(", ")}`,
      );
    }
  }
  const out = {} as Record<string, number>;
  for (const [k, [dflt, ok, expected]] of Object.entries(spec) as Array<
    [string, [number, Check, string]]
  >) {
    const v = o[k] === undefined ? dflt : o[k];
    if (typeof v !== "number") {
      throw new ArgumentError(`${where}: ${k} must be ${expected}, got ${describeValue(v)}`);
    }
    if (!ok(v))
      throw new ArgumentError(`${where}: ${k} must be ${expected}, got ${describeValue(v)}`);
    out[k] = v;
  }
  return out as Record<keyof T & string, number>;
}

const positive: [Check, string] = [(v) => Number.isFinite(v) && v > 0, "a positive finite number"];
const nonnegative: [Check, string] = [
  (v) => Number.isFinite(v) && v >= 0,
  "a nonnegative finite number",
];
const unitClosed: [Check, string] = [(v) => v >= 0 && v <= 1, "a number in [0, 1]"];
const unitOpen: [Check, string] = [(v) => v >= 0 && v < 1, "a number in [0, 1)"];

function trimmed(size: readonly number[]): number[] {
  const s = [...size];
  while (s.length > 2 && s[s.length - 1] === 1) s.pop();
  return s;
}

function sameSize(a: readonly number[], b: readonly number[]): boolean {
  const x = trimmed(a);
  const y = trimmed(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

interface Target {
  readonly w: DlArray;
  readonly b: DlArray;
  readonly gw: FloatArray;
  readonly gb: FloatArray;
  readonly changed: () => void;
}

/** Checks the layer and the gradients; returns the layer's own learnables. */
function target(layer: unknown, grads: unknown, where: string): Target {
  if (!(layer instanceof TransposedConv3dLayer)) {
    throw new ArgumentError(
      `${where}: layer must be a TransposedConv3dLayer (from transposedConv3dLayer), got ${describeValue(layer)}`,
    );
  }
  const own = learnablesOf(layer);
  if (own.weights === null || own.bias === null) {
    throw new ArgumentError(
      `${where}: layer "${layer.name}" has no ${own.weights === null ? "weights" : "bias"} yet; ` +
        "call layer.initialize(X) (or predict/backward) first",
    );
  }
  if (grads === null || typeof grads !== "object") {
    throw new ArgumentError(
      `${where}: grads must be { dLdW, dLdB } as layer.backward returns, got ${describeValue(grads)}`,
    );
  }
  const g = grads as Record<string, unknown>;
  const grad = (key: "dLdW" | "dLdB", expected: DlArray): FloatArray => {
    const v = g[key];
    const what = key === "dLdW" ? "the weights" : "the bias";
    if (v instanceof DlArray) {
      if (!sameSize(v.size, expected.size)) {
        throw new SizeError(
          `${where}: grads.${key} has size [${v.size}]; expected [${expected.size}] (the size of ${what})`,
        );
      }
      return v.data;
    }
    if (isFloatArray(v)) {
      if (v.length !== expected.numel) {
        throw new SizeError(
          `${where}: grads.${key} has ${v.length} values; expected ${expected.numel} (the size of ${what}, [${expected.size}])`,
        );
      }
      return v;
    }
    throw new ArgumentError(
      `${where}: grads.${key} must be a DlArray or Float32Array/Float64Array, got ${describeValue(v)}`,
    );
  };
  return {
    w: own.weights,
    b: own.bias,
    gw: grad("dLdW", own.weights),
    gb: grad("dLdB", own.bias),
    changed: own.changed,
  };
}

/** Reads a state array, checking its length; `null` for a missing state. */
function stateArray(
  state: Record<string, unknown>,
  key: string,
  numel: number,
  where: string,
): FloatArray {
  const v = state[key];
  if (!isFloatArray(v)) {
    throw new ArgumentError(
      `${where}: state.${key} must be a Float32Array or Float64Array, got ${describeValue(v)}`,
    );
  }
  if (v.length !== numel) {
    throw new SizeError(
      `${where}: state.${key} has ${v.length} values; expected ${numel} (a state made for another layer?)`,
    );
  }
  return v;
}

function checkState(
  state: unknown,
  optimizer: "sgdm" | "adam",
  t: Target,
  where: string,
): Record<string, unknown> | null {
  if (state === undefined || state === null) return null;
  const fn = optimizer === "sgdm" ? "sgdmupdate" : "adamupdate";
  if (typeof state !== "object" || (state as { optimizer?: unknown }).optimizer !== optimizer) {
    const got =
      typeof state === "object" && typeof (state as { optimizer?: unknown }).optimizer === "string"
        ? `a state of optimizer "${(state as { optimizer: string }).optimizer}"`
        : describeValue(state);
    throw new ArgumentError(
      `${where}: state must be undefined (first step) or what ${fn} returned, got ${got}`,
    );
  }
  const s = state as Record<string, unknown>;
  const ws = s.weightSize;
  if (!Array.isArray(ws) || !sameSize(ws as number[], t.w.size)) {
    throw new SizeError(
      `${where}: the state was made for weights of size ${describeValue(ws)}; this layer's ` +
        `weights have size [${t.w.size}] (a state from another layer?)`,
    );
  }
  return s;
}

function like(p: DlArray): FloatArray {
  return p.data instanceof Float32Array ? new Float32Array(p.numel) : new Float64Array(p.numel);
}

function copyLike(p: DlArray, src: FloatArray): FloatArray {
  const out = like(p);
  out.set(src);
  return out;
}

/**
 * One SGD-with-momentum step (MATLAB's `sgdmupdate`) on the layer's weights and bias, in place.
 *
 * ```ts
 * const grads = layer.backward(X, dLdY);
 * let vel = sgdmupdate(layer, grads, undefined, { learnRate: 0.01, momentum: 0.9 });
 * vel = sgdmupdate(layer, layer.backward(X, dLdY2), vel);
 * ```
 *
 * @param layer - the layer (its weights and bias must exist: initialize it first).
 * @param grads - `{ dLdW, dLdB }`, e.g. what `layer.backward` returns.
 * @param state - `undefined` (or `null`) on the first step, then the state returned last time.
 * @param opts - `learnRate` (0.01), `momentum` (0.9), `l2Regularization` (1e-4).
 * @returns the new state (velocities) for the next step.
 * @throws ArgumentError naming the bad argument (a layer without learnables, options out of
 *   range, a state of the other optimizer); SizeError for gradients or a state of another size.
 *   The layer is unchanged then.
 */
export function sgdmupdate(
  layer: TransposedConv3dLayer,
  grads: LearnableGradients,
  state?: SgdmState | null,
  opts?: SgdmOptions,
): SgdmState;
/**
 * One SGD-with-momentum step on every transposed convolution of a {@link Dlnetwork} (MATLAB's
 * `sgdmupdate(net, grad, vel)`), each honouring its own learn-rate and L2 factors.
 *
 * ```ts
 * let vel: NetworkSgdmState | undefined;
 * vel = sgdmupdate(net, net.backward(trace, dLdY), vel, { learnRate: 0.01 });
 * ```
 *
 * @param net - the network (initialized).
 * @param grads - what `net.backward` returned.
 * @param state - `undefined` (or `null`) on the first step, then the state returned last time.
 * @param opts - as for a layer.
 * @returns the new state, one entry per transposed convolution.
 * @throws as for a layer, naming the layer; every layer is checked before any changes.
 */
export function sgdmupdate(
  net: Dlnetwork,
  grads: NetworkGradients,
  state?: NetworkSgdmState | null,
  opts?: SgdmOptions,
): NetworkSgdmState;
export function sgdmupdate(
  layer: TransposedConv3dLayer | Dlnetwork,
  grads: LearnableGradients | NetworkGradients,
  state?: SgdmState | NetworkSgdmState | null,
  opts?: SgdmOptions,
): SgdmState | NetworkSgdmState {
  if (layer instanceof Dlnetwork) {
    return updateNetwork<SgdmState>(layer, grads, state, "sgdm", (l, g, s) =>
      sgdmupdate(l, g, s, opts),
    );
  }
  const where = "sgdmupdate";
  const o = options<SgdmOptions>(opts, where, {
    learnRate: [0.01, ...positive],
    momentum: [0.9, ...unitClosed],
    l2Regularization: [1e-4, ...nonnegative],
  });
  const t = target(layer, grads, where);
  const s = checkState(state, "sgdm", t, where);
  const vw0 = s === null ? like(t.w) : stateArray(s, "weightVelocity", t.w.numel, where);
  const vb0 = s === null ? like(t.b) : stateArray(s, "biasVelocity", t.b.numel, where);

  const step = (p: DlArray, g: FloatArray, v0: FloatArray, rate: number, l2: number) => {
    const v = copyLike(p, v0);
    if (rate === 0) return v; // frozen: p and its velocity stay as they are
    const alpha = o.learnRate * rate;
    const lambda = o.l2Regularization * l2;
    const mu = o.momentum;
    const x = p.data;
    for (let i = 0; i < x.length; i++) {
      const gi = (g[i] as number) + lambda * (x[i] as number);
      const vi = mu * (v[i] as number) - alpha * gi;
      v[i] = vi;
      x[i] = (x[i] as number) + (v[i] as number);
    }
    return v;
  };
  const weightVelocity = step(t.w, t.gw, vw0, layer.weightLearnRateFactor, layer.weightL2Factor);
  const biasVelocity = step(t.b, t.gb, vb0, layer.biasLearnRateFactor, layer.biasL2Factor);
  t.changed();
  return Object.freeze({
    optimizer: "sgdm",
    weightSize: Object.freeze([...t.w.size]),
    weightVelocity,
    biasVelocity,
  });
}

/**
 * One Adam step (MATLAB's `adamupdate`) on the layer's weights and bias, in place. The step
 * count `t` is kept in the state (`t = 1` on the first step).
 *
 * ```ts
 * let st = adamupdate(layer, layer.backward(X, dLdY), undefined, { learnRate: 0.001 });
 * st = adamupdate(layer, layer.backward(X, dLdY2), st);
 * ```
 *
 * @param layer - the layer (its weights and bias must exist: initialize it first).
 * @param grads - `{ dLdW, dLdB }`, e.g. what `layer.backward` returns.
 * @param state - `undefined` (or `null`) on the first step, then the state returned last time.
 * @param opts - `learnRate` (0.001), `gradientDecayFactor` (0.9), `squaredGradientDecayFactor`
 *   (0.999), `epsilon` (1e-8), `l2Regularization` (1e-4).
 * @returns the new state (moving averages, iteration) for the next step.
 * @throws ArgumentError naming the bad argument (a layer without learnables, options out of
 *   range, a state of the other optimizer); SizeError for gradients or a state of another size.
 *   The layer is unchanged then.
 */
export function adamupdate(
  layer: TransposedConv3dLayer,
  grads: LearnableGradients,
  state?: AdamState | null,
  opts?: AdamOptions,
): AdamState;
/**
 * One Adam step on every transposed convolution of a {@link Dlnetwork} (MATLAB's
 * `adamupdate(net, grad, averageGrad, averageSqGrad, iteration)`), each honouring its own
 * learn-rate and L2 factors; the step counts are kept in the state.
 *
 * ```ts
 * let st: NetworkAdamState | undefined;
 * const trace = net.forward(X);
 * st = adamupdate(net, net.backward(trace, dLdY), st, { learnRate: 1e-3 });
 * ```
 *
 * @param net - the network (initialized).
 * @param grads - what `net.backward` returned.
 * @param state - `undefined` (or `null`) on the first step, then the state returned last time.
 * @param opts - as for a layer.
 * @returns the new state, one entry per transposed convolution.
 * @throws as for a layer, naming the layer; every layer is checked before any changes.
 */
export function adamupdate(
  net: Dlnetwork,
  grads: NetworkGradients,
  state?: NetworkAdamState | null,
  opts?: AdamOptions,
): NetworkAdamState;
export function adamupdate(
  layer: TransposedConv3dLayer | Dlnetwork,
  grads: LearnableGradients | NetworkGradients,
  state?: AdamState | NetworkAdamState | null,
  opts?: AdamOptions,
): AdamState | NetworkAdamState {
  if (layer instanceof Dlnetwork) {
    return updateNetwork<AdamState>(layer, grads, state, "adam", (l, g, s) =>
      adamupdate(l, g, s, opts),
    );
  }
  const where = "adamupdate";
  const o = options<AdamOptions>(opts, where, {
    learnRate: [0.001, ...positive],
    gradientDecayFactor: [0.9, ...unitOpen],
    squaredGradientDecayFactor: [0.999, ...unitOpen],
    epsilon: [1e-8, ...positive],
    l2Regularization: [1e-4, ...nonnegative],
  });
  const t = target(layer, grads, where);
  const s = checkState(state, "adam", t, where);
  let iteration = 0;
  if (s !== null) {
    const it = s.iteration;
    if (typeof it !== "number" || !Number.isSafeInteger(it) || it < 0) {
      throw new ArgumentError(
        `${where}: state.iteration must be a nonnegative integer, got ${describeValue(it)}`,
      );
    }
    iteration = it;
  }
  const arr = (key: string, p: DlArray) =>
    s === null ? like(p) : stateArray(s, key, p.numel, where);
  const mw0 = arr("weightAverageGrad", t.w);
  const vw0 = arr("weightAverageSqGrad", t.w);
  const mb0 = arr("biasAverageGrad", t.b);
  const vb0 = arr("biasAverageSqGrad", t.b);

  const step1 = iteration + 1;
  const b1 = o.gradientDecayFactor;
  const b2 = o.squaredGradientDecayFactor;
  const eps = o.epsilon;
  const correction = Math.sqrt(1 - b2 ** step1) / (1 - b1 ** step1);
  const step = (
    p: DlArray,
    g: FloatArray,
    m0: FloatArray,
    v0: FloatArray,
    rate: number,
    l2: number,
  ) => {
    const m = copyLike(p, m0);
    const v = copyLike(p, v0);
    if (rate === 0) return [m, v] as const; // frozen
    const alpha = o.learnRate * rate;
    const lambda = o.l2Regularization * l2;
    const x = p.data;
    const lr = alpha * correction;
    for (let i = 0; i < x.length; i++) {
      const gi = (g[i] as number) + lambda * (x[i] as number);
      m[i] = b1 * (m[i] as number) + (1 - b1) * gi;
      v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi;
      x[i] = (x[i] as number) - (lr * (m[i] as number)) / (Math.sqrt(v[i] as number) + eps);
    }
    return [m, v] as const;
  };
  const [mw, vw] = step(t.w, t.gw, mw0, vw0, layer.weightLearnRateFactor, layer.weightL2Factor);
  const [mb, vb] = step(t.b, t.gb, mb0, vb0, layer.biasLearnRateFactor, layer.biasL2Factor);
  t.changed();
  return Object.freeze({
    optimizer: "adam",
    iteration: step1,
    weightSize: Object.freeze([...t.w.size]),
    weightAverageGrad: mw,
    weightAverageSqGrad: vw,
    biasAverageGrad: mb,
    biasAverageSqGrad: vb,
  });
}
