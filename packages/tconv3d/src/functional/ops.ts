/**
 * Forward and backward passes on labelled tensors, with the core's operator (weights packed
 * once per weights version) and its plans (one per input size) optionally cached by the caller.
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
  type SpatialView,
  spatialView,
} from "../dlarray/index.js";
import { ArgumentError, FormatError, SizeError } from "../errors.js";
import { callCore } from "./core-errors.js";
import {
  asDtype,
  type ConvSpec,
  callerSizeLike,
  checkChannels,
  download,
  inCallerOrder,
  makeOperator,
  makePlan,
  mapInput,
  type PlanInfo,
  residentBuffer,
  shapedLike,
  strides,
  typed,
  uploadAs,
  withBuffers,
} from "./engine.js";
import { checkOutput, sameSize } from "./outputs.js";
import { viewAt, type WasmBuffer, type WasmOperator } from "./wasm-api.js";
import { checkLive, detachSafe, type WasmArray } from "./wasm-array.js";

/** Weights (`[h w d F/g C/g g]` column-major values), bias (`F` values or none) and a version
 * that changes whenever either changes. */
export interface Learnables {
  readonly weights: FloatArray;
  readonly weightSize: readonly number[];
  readonly bias: FloatArray | null;
  readonly version: number;
}

/** Plans kept per operator: a few input sizes used in turn (batch sizes, volumes). */
const PLANS_KEPT = 4;

/**
 * The core's operator of the most recent weights version and precision, its plans for the
 * input sizes seen last (at most {@link PLANS_KEPT}), and a WASM buffer that stages a forward
 * call's input for its output to overwrite: packing runs once per weights version, a plan once
 * per input size, and a warm `predict` on JS arrays is one call into WASM. A new weights
 * version or precision frees the old operator and its plans.
 */
export class OperatorCache {
  private key: string | null = null;
  private op: WasmOperator | null = null;
  private readonly plans = new Map<string, PlanInfo>();
  private stage: { dtype: Dtype; buf: WasmBuffer; ptr: number; len: number } | null = null;

  /** The operator for `key`, made by `make` when absent. */
  operator(key: string, make: () => WasmOperator): WasmOperator {
    if (this.key !== key || this.op === null) {
      this.clear();
      this.op = make();
      this.key = key;
    }
    return this.op;
  }

  /** The current operator's plan for the input size of `v`, made when absent. */
  plan(op: WasmOperator, v: SpatialView): PlanInfo {
    const key = `${v.batch}|${v.spatial.join(",")}`;
    let p = this.plans.get(key);
    if (p === undefined) {
      p = makePlan(op, v);
      if (this.plans.size >= PLANS_KEPT) {
        const [oldest, old] = this.plans.entries().next().value as [string, PlanInfo];
        this.plans.delete(oldest);
        old.plan.free();
      }
    } else {
      this.plans.delete(key); // re-inserted last: the most recently used
    }
    this.plans.set(key, p);
    return p;
  }

  /**
   * A WASM buffer of at least `len` elements of `dtype` and its address, kept for the next
   * call (a larger request replaces it).
   */
  staging(dtype: Dtype, len: number): { buf: WasmBuffer; ptr: number } {
    const s = this.stage;
    if (s !== null && s.dtype === dtype && s.len >= len) return s;
    this.freeStage();
    const buf = new (typed(dtype).Buffer)(len);
    this.stage = { dtype, buf, ptr: buf.ptr(), len };
    return this.stage;
  }

  private freeStage(): void {
    this.stage?.buf.free();
    this.stage = null;
  }

  /** Frees the operator, its plans and the staging buffer. */
  clear(): void {
    for (const p of this.plans.values()) p.plan.free();
    this.plans.clear();
    this.op?.free();
    this.op = null;
    this.key = null;
    this.freeStage();
  }
}

/** The operator of `p` in `dtype` and its plan for the input `m`. */
function prepared(
  spec: ConvSpec,
  v: SpatialView,
  dtype: Dtype,
  p: Learnables,
  cache: OperatorCache,
  where: string,
): { op: WasmOperator; plan: PlanInfo } {
  checkChannels(spec, v, where);
  const op = cache.operator(`${dtype}|${p.version}`, () =>
    makeOperator(spec, dtype, detachSafe(p.weights), p.bias),
  );
  return { op, plan: cache.plan(op, v) };
}

/** Runs `body` with a cache: the caller's, or a fresh one freed afterwards. */
function withCache<R>(cache: OperatorCache | null, body: (c: OperatorCache) => R): R {
  if (cache !== null) return body(cache);
  const own = new OperatorCache();
  try {
    return body(own);
  } finally {
    own.clear();
  }
}

/** The six numbers of `[n, s0, s1, s2, c, origin]` strides, as the core's runs take them. */
function six(s: ArrayLike<number>): [number, number, number, number, number, number] {
  return [s[0], s[1], s[2], s[3], s[4], s[5]] as [number, number, number, number, number, number];
}

/** The five numbers of `[n, s0, s1, s2, c]` strides (origin 0). */
function five(s: ArrayLike<number>): [number, number, number, number, number] {
  return [s[0], s[1], s[2], s[3], s[4]] as [number, number, number, number, number];
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
  cache: OperatorCache | null,
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
      const { op, plan } = prepared(spec, m.view, dtype, p, c, where);
      const size = callerSizeLike(m, plan.outputSize, spec.numFilters);
      const into = checkOutput(
        out,
        "options.out",
        { size, format: X.format, dtype },
        weightsToAvoid(p),
        where,
      );
      // Written in place when the caller's order is the computed one; else permuted, then copied.
      const Y =
        into !== undefined && m.back === null
          ? into
          : shapedLike(m, plan.outputSize, spec.numFilters, dtype);
      const ys = six(strides(spatialView(Y)));
      const resident = residentBuffer(Y);
      const xs = six(strides(m.view));
      // X in JS memory, and Y's buffer can hold it: X goes there in its own layout, the core
      // copies it into the layout the plan runs fastest on, and Y overwrites it (a buffer
      // kept for the next call, or Y's own when Y is a WasmArray). A smaller Y keeps the
      // input's copy in bricks (below), whose workspace is a fraction of X.
      if (residentBuffer(m.array) === null && Y.numel >= m.array.numel) {
        const x = detachSafe(m.array.data);
        if (resident === null) {
          const s = c.staging(dtype, Y.numel);
          viewAt(dtype, s.ptr, x.length).set(x);
          op.forwardInPlace(plan.plan, s.buf, ...xs, ...ys);
          Y.data.set(viewAt(dtype, s.ptr, Y.numel));
        } else {
          Y.data.set(x);
          op.forwardInPlace(plan.plan, resident, ...xs, ...ys);
        }
      } else {
        withBuffers((keep) => {
          // A WasmArray Y is written where it is; a buffer of ours is written whole by the
          // run, so it stages the input's reordering first.
          const yb = resident ?? keep(new t.Buffer(Y.numel));
          const direct = residentBuffer(m.array) !== yb; // not in place
          const xs = plan.inputStrides;
          const xb = uploadAs(
            m.array,
            m.view,
            xs,
            plan.inputLen,
            resident ? null : yb,
            direct,
            keep,
          );
          op.forward(plan.plan, xb, ...six(xs), yb, ...ys);
          if (resident === null) download(dtype, yb, Y.data);
        });
      }
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
  cache: OperatorCache | null,
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
      const { op, plan } = prepared(spec, m.view, dtype, p, c, where);
      const expected = { size: callerSizeLike(m, plan.outputSize, spec.numFilters) };
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
        const [xs, ys] = plan.gradientStrides;
        const xb = uploadAs(m.array, m.view, xs, dX.numel, stage, direct(m.array), keep);
        const dyb = uploadAs(md.array, md.view, ys, dLdY.numel, stage, direct(md.array), keep);
        const dxs = five(strides(spatialView(dX)));
        op.backward(plan.plan, xb, ...five(xs), dyb, ...five(ys), dxb, ...dxs, dwb, dbb, 7);
        for (const o of outputs) if (o.resident === null) download(dtype, o.buf, o.array.data);
      });
      return { dLdX: intoOrNew(inCallerOrder(dX, m, X.format), into.dLdX), dLdW: dW, dLdB: dB };
    }),
  );
}
