/**
 * Forward and backward passes on labelled tensors, with the WASM plans (packed weights per
 * geometry) optionally cached by the caller.
 *
 * @module
 * @internal
 */

import {
  DlArray,
  type Dtype,
  describeValue,
  type FloatArray,
  type SameDtype,
  spatialView,
} from "../dlarray/index.js";
import { ArgumentError, FormatError, SizeError } from "../errors.js";
import { callCore } from "./core-errors.js";
import {
  asDtype,
  type ConvSpec,
  callerSizeLike,
  channelsLast,
  download,
  inCallerOrder,
  type Mapped,
  makeConv,
  mapInput,
  residentBuffer,
  shapedLike,
  strides,
  typed,
  uploadAs,
  withBuffers,
} from "./engine.js";
import { checkOutput, sameSize } from "./outputs.js";
import type { WasmBackwardData, WasmBuffer, WasmConv, WasmForward } from "./wasm-api.js";
import { checkLive, detachSafe, type WasmArray } from "./wasm-array.js";

/** Weights (`[h w d F/g C/g g]` column-major values), bias (`F` values or none) and a version
 * that changes whenever either changes. */
export interface Learnables {
  readonly weights: FloatArray;
  readonly weightSize: readonly number[];
  readonly bias: FloatArray | null;
  readonly version: number;
}

interface Entry {
  readonly key: string;
  readonly conv: WasmConv;
  forward?: WasmForward;
  backwardData?: WasmBackwardData;
}

/**
 * The plans of the most recent geometry, weights version and precision: packing runs once
 * per weights version, not per call. Holds one entry; a new key frees the old plans.
 */
export class PlanCache {
  private entry: Entry | null = null;

  /** The entry for `key`, made by `make` when absent. */
  get(key: string, make: () => WasmConv): Entry {
    if (this.entry?.key !== key) {
      this.clear();
      this.entry = { key, conv: make() };
    }
    return this.entry;
  }

  /** Frees every plan held. */
  clear(): void {
    const e = this.entry;
    this.entry = null;
    if (e === null) return;
    e.forward?.free();
    e.backwardData?.free();
    e.conv.free();
  }
}

function entryFor(
  spec: ConvSpec,
  m: Mapped,
  dtype: Dtype,
  p: Learnables,
  cache: PlanCache,
  where: string,
): Entry {
  const key = `${dtype}|${m.view.batch}|${m.view.channels}|${m.view.spatial.join(",")}|${p.version}`;
  return cache.get(key, () => makeConv(spec, m.view, where));
}

/** Runs `body` with a cache: the caller's, or a fresh one freed afterwards. */
function withCache<R>(cache: PlanCache | null, body: (c: PlanCache) => R): R {
  if (cache !== null) return body(cache);
  const own = new PlanCache();
  try {
    return body(own);
  } finally {
    own.clear();
  }
}

/**
 * What outputs must not overlap: the weights, whose packed copy would silently go stale (a
 * functional call's weights are the caller's array; the bias is always copied first).
 */
function weightsToAvoid(p: Learnables) {
  return [{ what: "the weights", data: p.weights }];
}

/**
 * `Y = X (*)ᵀ W + b` in the precision of `X`; `Y` keeps the labels and order of `X`. With
 * `out` (checked first) the result is written into it, and `out` is returned. What the core
 * throws comes out as the package's errors (see `callCore`).
 */
export function forward(
  X: DlArray,
  spec: ConvSpec,
  p: Learnables,
  cache: PlanCache | null,
  where: string,
  out?: unknown,
): DlArray {
  checkLive(X, "X", where);
  const m = mapInput(X, where);
  const dtype = X.dtype;
  // Outside callCore: the runtime's error for a missing init() reaches the caller as it is.
  const t = typed(dtype);
  return callCore(where, () =>
    withCache(cache, (c) => {
      const e = entryFor(spec, m, dtype, p, c, where);
      const size = callerSizeLike(m, e.conv.outputSize(), spec.numFilters);
      const into = checkOutput(
        out,
        "options.out",
        { size, format: X.format, dtype },
        weightsToAvoid(p),
        where,
      );
      const bias =
        p.bias === null ? new (dtype === "single" ? Float32Array : Float64Array)(0) : p.bias;
      e.forward ??= new t.Forward(
        e.conv,
        asDtype(detachSafe(p.weights), dtype),
        asDtype(bias, dtype),
      );
      const fwd = e.forward;
      // Written in place when the caller's order is the computed one; else permuted, then copied.
      const Y =
        into !== undefined && m.back === null
          ? into
          : shapedLike(m, e.conv.outputSize(), spec.numFilters, dtype);
      withBuffers((keep) => {
        // A WasmArray Y is written where it is; a buffer of ours is written whole by the run,
        // so it stages the input's reordering first.
        const resident = residentBuffer(Y);
        const yb = resident ?? keep(new t.Buffer(Y.numel));
        const xs = fwd.inputStrides();
        const direct = residentBuffer(m.array) !== yb; // not in place
        const xb = uploadAs(
          m.array,
          m.view,
          xs,
          fwd.inputLen(),
          resident ? null : yb,
          direct,
          keep,
        );
        fwd.run(xb, xs, yb, strides(spatialView(Y)));
        if (resident === null) download(dtype, yb, Y.data);
      });
      return intoOrNew(inCallerOrder(Y, m, X.format), into);
    }),
  );
}

/** `result`, or `into` holding its values when given (a no-op when it already is `into`). */
function intoOrNew(result: DlArray, into: DlArray | undefined): DlArray {
  if (into === undefined) return result;
  if (result !== into) into.data.set(result.data);
  return into;
}

/**
 * The gradients of a loss with respect to the input, weights and bias, all in the precision of
 * the input `X`.
 *
 * @typeParam T - the element storage of `X` (and so of every gradient).
 * @typeParam A - the kind of array: {@link WasmArray}s with `out: "wasm"`.
 */
export interface Gradients<T extends FloatArray = FloatArray, A extends DlArray<T> = DlArray<T>> {
  /** Same size and labels as `X`. */
  readonly dLdX: A;
  /** Same size as the weights, unformatted. */
  readonly dLdW: A;
  /** Size `[1, 1, 1, numFilters]`, unformatted. */
  readonly dLdB: A;
}

/**
 * Arrays that `backward` writes the gradients into instead of new ones; each optional, each in
 * the precision of `X`.
 *
 * @typeParam T - the element storage of `X`.
 */
export interface GradientOutputs<T extends FloatArray = FloatArray> {
  /** For `dLdX`: size, format and dtype of `X`. */
  readonly dLdX?: DlArray<SameDtype<T>> | undefined;
  /** For `dLdW`: the weights' size, unformatted, dtype of `X`. */
  readonly dLdW?: DlArray<SameDtype<T>> | undefined;
  /** For `dLdB`: size `[1, 1, 1, numFilters]`, unformatted, dtype of `X`. */
  readonly dLdB?: DlArray<SameDtype<T>> | undefined;
}

/**
 * Options of a forward call (`predict`, `dltranspconv`'s `out`).
 *
 * @typeParam T - the element storage of `X`, which an `out` array must share.
 */
export interface PredictOptions<T extends FloatArray = FloatArray> {
  /**
   * An array to write the output into instead of a new one (see `predict`), or `"wasm"`: a new
   * {@link WasmArray} (in WASM memory, no copy out).
   */
  readonly out?: DlArray<SameDtype<T>> | "wasm" | undefined;
}

/** Options that ask for the results as new {@link WasmArray}s. */
export interface WasmOutput {
  /** `"wasm"`: every result a new {@link WasmArray}, in WASM memory (nothing copied out). */
  readonly out: "wasm";
}

/**
 * Options of a backward call (`backward`, `dltranspconvBackward`'s `out`).
 *
 * @typeParam T - the element storage of `X`, which the `out` arrays must share.
 */
export interface BackwardOptions<T extends FloatArray = FloatArray> {
  /**
   * Arrays to write gradients into instead of new ones (see `backward`), or `"wasm"`: every
   * gradient a new {@link WasmArray} (in WASM memory, no copy out).
   */
  readonly out?: GradientOutputs<T> | "wasm" | undefined;
}

const GRADIENTS = ["dLdX", "dLdW", "dLdB"] as const;

/** The caller's `out` object of gradients, its keys checked (values later). */
function gradientOutputs(out: unknown, where: string): Record<string, unknown> {
  if (out === undefined) return {};
  if (out === "wasm") return Object.fromEntries(GRADIENTS.map((k) => [k, out]));
  if (typeof out !== "object" || out === null) {
    throw new ArgumentError(
      `${where}: options.out must be "wasm" or an object with dLdX, dLdW and/or dLdB, got ${describeValue(out)}`,
    );
  }
  for (const k of Object.keys(out)) {
    if (!(GRADIENTS as readonly string[]).includes(k)) {
      throw new ArgumentError(
        `${where}: options.out has unknown key ${describeValue(k)}; expected dLdX, dLdW or dLdB`,
      );
    }
  }
  return out as Record<string, unknown>;
}

/**
 * Gradients from `dLdY` (same labels, size and precision as the forward output). With `out`
 * (checked first), the gradients it names are written into its arrays, which are returned.
 * What the core throws comes out as the package's errors (see `callCore`).
 */
export function backward(
  X: DlArray,
  spec: ConvSpec,
  p: Learnables,
  dLdY: unknown,
  cache: PlanCache | null,
  where: string,
  out?: unknown,
): Gradients {
  const outs = gradientOutputs(out, where);
  checkLive(X, "X", where);
  checkLive(dLdY, "dLdY", where);
  const m = mapInput(X, where);
  const dtype = X.dtype;
  const t = typed(dtype);
  return callCore(where, () =>
    withCache(cache, (c) => {
      const e = entryFor(spec, m, dtype, p, c, where);
      const expected = { size: callerSizeLike(m, e.conv.outputSize(), spec.numFilters) };
      const want = `a dlarray of size [${expected.size}] with format "${X.format}" (the output's)`;
      if (!(dLdY instanceof DlArray)) {
        throw new ArgumentError(`${where}: dLdY must be ${want}, got ${describeValue(dLdY)}`);
      }
      const Mismatch =
        dLdY.format !== X.format
          ? FormatError
          : sameSize(dLdY.size, expected.size)
            ? null
            : SizeError;
      if (Mismatch !== null) {
        throw new Mismatch(
          `${where}: dLdY must be ${want}, got size [${dLdY.size}] format "${dLdY.format}"`,
        );
      }
      // One rule for every input: the call computes in the precision of X, and dLdY of the
      // other precision is converted, as the weights and bias are.
      const dy =
        dLdY.dtype === dtype
          ? dLdY
          : new DlArray(asDtype(detachSafe(dLdY.data), dtype), dLdY.size, dLdY.format);
      const md = mapInput(dy, where);
      const specs = {
        dLdX: { size: X.size, format: X.format, dtype },
        dLdW: { size: p.weightSize, format: "", dtype },
        dLdB: { size: [1, 1, 1, spec.numFilters], format: "", dtype },
      };
      const into: Partial<Record<(typeof GRADIENTS)[number], DlArray>> = {};
      for (const k of GRADIENTS) {
        const others = GRADIENTS.filter((o) => o !== k).map((o) => ({
          what: `options.out.${o}`,
          data: outs[o] instanceof DlArray ? outs[o].data : null,
        }));
        into[k] = checkOutput(
          outs[k],
          `options.out.${k}`,
          specs[k],
          [...weightsToAvoid(p), ...others],
          where,
        );
      }
      e.backwardData ??= new t.BackwardData(e.conv, asDtype(detachSafe(p.weights), dtype));
      const bwd = e.backwardData;
      const fresh = (n: number) => (dtype === "single" ? new Float32Array(n) : new Float64Array(n));
      // dX is written in place when the caller's order is the computed one (see `forward`).
      const dX =
        into.dLdX !== undefined && m.back === null
          ? into.dLdX
          : shapedLike(m, m.view.spatial, m.view.channels, dtype);
      const dW = into.dLdW ?? new DlArray(fresh(p.weights.length), specs.dLdW.size);
      const dB = into.dLdB ?? new DlArray(fresh(spec.numFilters), specs.dLdB.size);
      withBuffers((keep) => {
        // WasmArray outputs are written where they are, others into buffers of ours.
        const outputs = [dX, dW, dB].map((a) => {
          const resident = residentBuffer(a);
          return { array: a, resident, buf: resident ?? keep(new t.Buffer(a.numel)) };
        });
        const [dxb, dwb, dbb] = outputs.map((o) => o.buf) as [WasmBuffer, WasmBuffer, WasmBuffer];
        // dX and dW run fastest on channels-last activations; the longer of our dX and dW
        // buffers, each written whole later, stages their reordering. An input that is a
        // WasmArray in channels-last is read where it is unless it is also an output.
        const stage = outputs
          .slice(0, 2)
          .filter((o) => o.resident === null)
          .reduce<WasmBuffer | null>(
            (b, o) => (b === null || o.buf.len() > b.len() ? o.buf : b),
            null,
          );
        const direct = (a: DlArray) => !outputs.some((o) => o.buf === residentBuffer(a));
        const xs = channelsLast(m.view);
        const xb = uploadAs(m.array, m.view, xs, dX.numel, stage, direct(m.array), keep);
        const ys = channelsLast(md.view);
        const dyb = uploadAs(md.array, md.view, ys, dLdY.numel, stage, direct(md.array), keep);
        bwd.run(dyb, ys, dxb, strides(spatialView(dX)));
        t.backwardWeights(e.conv, xb, xs, dyb, ys, dwb);
        t.backwardBias(e.conv, dyb, ys, dbb);
        for (const o of outputs) if (o.resident === null) download(dtype, o.buf, o.array.data);
      });
      return { dLdX: intoOrNew(inCallerOrder(dX, m, X.format), into.dLdX), dLdW: dW, dLdB: dB };
    }),
  );
}
