/**
 * Forward and backward passes on labelled tensors, with the WASM plans (packed weights per
 * geometry) optionally cached by the caller.
 *
 * @module
 * @internal
 */

import { DlArray, type Dtype, type FloatArray, spatialView } from "../dlarray/index.js";
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
  shapedLike,
  strides,
  typed,
  uploadAs,
  withBuffers,
} from "./engine.js";
import type { WasmBackwardData, WasmConv, WasmForward } from "./wasm-api.js";

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

/** `Y = X (*)ᵀ W + b` in the precision of `X`; `Y` keeps the labels and order of `X`. */
export function forward(
  X: DlArray,
  spec: ConvSpec,
  p: Learnables,
  cache: PlanCache | null,
  where: string,
): DlArray {
  const m = mapInput(X, where);
  const dtype = X.dtype;
  return withCache(cache, (c) => {
    const e = entryFor(spec, m, dtype, p, c, where);
    const t = typed(dtype);
    const bias =
      p.bias === null ? new (dtype === "single" ? Float32Array : Float64Array)(0) : p.bias;
    e.forward ??= new t.Forward(e.conv, asDtype(p.weights, dtype), asDtype(bias, dtype));
    const fwd = e.forward;
    const Y = shapedLike(m, e.conv.outputSize(), spec.numFilters, dtype);
    withBuffers((keep) => {
      // Y is written whole by the run, so it stages the input's reordering first.
      const yb = keep(new t.Buffer(Y.numel));
      const xs = fwd.inputStrides();
      const xb = keep(uploadAs(dtype, m.array.data, m.view, xs, fwd.inputLen(), yb));
      fwd.run(xb, xs, yb, strides(spatialView(Y)));
      download(dtype, yb, Y.data);
    });
    return inCallerOrder(Y, m, X.format);
  });
}

/** The gradients of a loss with respect to the input, weights and bias. */
export interface Gradients {
  /** Same size and labels as `X`. */
  readonly dLdX: DlArray;
  /** Same size as the weights, unformatted. */
  readonly dLdW: DlArray;
  /** Size `[1, 1, 1, numFilters]`, unformatted. */
  readonly dLdB: DlArray;
}

function sameSize(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Gradients from `dLdY` (same labels and size as the forward output). */
export function backward(
  X: DlArray,
  spec: ConvSpec,
  p: Learnables,
  dLdY: unknown,
  cache: PlanCache | null,
  where: string,
): Gradients {
  const m = mapInput(X, where);
  const dtype = X.dtype;
  return withCache(cache, (c) => {
    const e = entryFor(spec, m, dtype, p, c, where);
    const expected = { size: callerSizeLike(m, e.conv.outputSize(), spec.numFilters) };
    if (
      !(dLdY instanceof DlArray) ||
      dLdY.format !== X.format ||
      !sameSize(dLdY.size, expected.size)
    ) {
      const got =
        dLdY instanceof DlArray ? `size [${dLdY.size}] format "${dLdY.format}"` : typeof dLdY;
      throw new RangeError(
        `${where}: dLdY must be a dlarray of size [${expected.size}] with format "${X.format}" (the output's), got ${got}`,
      );
    }
    const md = mapInput(dLdY, where);
    const t = typed(dtype);
    e.backwardData ??= new t.BackwardData(e.conv, asDtype(p.weights, dtype));
    const bwd = e.backwardData;
    const dX = shapedLike(m, m.view.spatial, m.view.channels, dtype);
    const dW = new DlArray(
      dtype === "single" ? new Float32Array(p.weights.length) : new Float64Array(p.weights.length),
      p.weightSize,
    );
    const dB = new DlArray(
      dtype === "single" ? new Float32Array(spec.numFilters) : new Float64Array(spec.numFilters),
      [1, 1, 1, spec.numFilters],
    );
    withBuffers((keep) => {
      // dX and dW run fastest on channels-last activations; dX, written whole later, stages
      // their reordering.
      const dxb = keep(new t.Buffer(dX.numel));
      const x = {
        strides: channelsLast(m.view),
        buf: keep(uploadAs(dtype, m.array.data, m.view, channelsLast(m.view), dX.numel, dxb)),
      };
      const dy = {
        strides: channelsLast(md.view),
        buf: keep(uploadAs(dtype, md.array.data, md.view, channelsLast(md.view), dLdY.numel, dxb)),
      };
      const dwb = keep(new t.Buffer(dW.numel));
      const dbb = keep(new t.Buffer(dB.numel));
      bwd.run(dy.buf, dy.strides, dxb, strides(spatialView(dX)));
      t.backwardWeights(e.conv, x.buf, x.strides, dy.buf, dy.strides, dwb);
      t.backwardBias(e.conv, dy.buf, dy.strides, dbb);
      download(dtype, dxb, dX.data);
      download(dtype, dwb, dW.data);
      download(dtype, dbb, dB.data);
    });
    return { dLdX: inCallerOrder(dX, m, X.format), dLdW: dW, dLdB: dB };
  });
}
