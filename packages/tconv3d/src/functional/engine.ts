/**
 * The one path from labelled tensors to the WASM core, shared by `dltranspconv` and the layer:
 * map the input's labels onto the kernel's view, validate the geometry in the core (the single
 * source of truth for output sizes and crops), copy into WASM memory, run, copy out into a new
 * `DlArray` with the input's labels.
 *
 * @module
 * @internal
 */

import {
  DlArray,
  type Dtype,
  type FloatArray,
  permute,
  type SpatialView,
  spatialView,
} from "../dlarray/index.js";
import type { CroppingSpec, Vec3 } from "../layer/options.js";
import { glue, typed, view, type WasmBuffer, type WasmConv } from "./wasm-api.js";

/** Everything about the operation except the input's size. */
export interface ConvSpec {
  readonly filterSize: Vec3;
  readonly numFilters: number;
  readonly numChannels: number;
  readonly numGroups: number;
  readonly stride: Vec3;
  readonly dilationFactor: Vec3;
  readonly cropping: CroppingSpec;
}

/** An input mapped onto the kernel: possibly a canonical copy when its batch can't be folded. */
export interface Mapped {
  /** The array the kernel reads (the input itself, or its canonical copy). */
  readonly array: DlArray;
  readonly view: SpatialView;
  /** When `array` is a canonical copy: the permutation back to the caller's order. */
  readonly back: number[] | null;
}

const LABEL_RANK: Readonly<Record<string, number>> = { S: 0, C: 1, B: 2, T: 3, U: 4 };

/** Maps `X` onto the kernel's view, copying into canonical order only when it must. */
export function mapInput(X: DlArray, where: string): Mapped {
  let v: SpatialView;
  try {
    v = spatialView(X);
  } catch (e) {
    throw new RangeError(`${where}: ${(e as Error).message.replace(/^spatialView: /, "")}`);
  }
  if (v.foldable) return { array: X, view: v, back: null };
  const dims = [...X.format];
  const order = dims
    .map((_, i) => i)
    .sort((a, b) => {
      const d =
        (LABEL_RANK[dims[a] as string] as number) - (LABEL_RANK[dims[b] as string] as number);
      return d !== 0 ? d : a - b;
    });
  const back = new Array<number>(order.length);
  order.forEach((src, k) => {
    back[src] = k;
  });
  const array = X.toCanonical();
  return { array, view: spatialView(array), back };
}

/** `[n, s0, s1, s2, c, origin]` element strides of a view, as the core takes them. */
export function strides(v: SpatialView): Uint32Array {
  return Uint32Array.from([v.strides.n, ...v.strides.s, v.strides.c, 0]);
}

/** Validates the geometry in the core; its messages name the parameter, value and expectation. */
export function makeConv(spec: ConvSpec, v: SpatialView, where: string): WasmConv {
  if (v.channels !== spec.numChannels) {
    throw new RangeError(
      `${where}: the input has ${v.channels} channels (its C dimension); expected NumChannels = ${spec.numChannels}`,
    );
  }
  const manual = spec.cropping.mode === "manual" ? spec.cropping : null;
  try {
    return new (glue().Conv)(
      v.batch,
      spec.numChannels,
      spec.numFilters,
      spec.numGroups,
      Uint32Array.from(v.spatial),
      Uint32Array.from(spec.filterSize),
      Uint32Array.from(spec.stride),
      Uint32Array.from(spec.dilationFactor),
      Int32Array.from(manual?.begin ?? [0, 0, 0]),
      Int32Array.from(manual?.end ?? [0, 0, 0]),
      manual === null,
    );
  } catch (e) {
    throw new RangeError(`${where}: ${(e as Error).message}`);
  }
}

/** The size of `like`'s (mapped) array with new spatial and channel lengths. */
function sizeLike(like: Mapped, spatial: ArrayLike<number>, channels: number): number[] {
  const size = [...like.array.size];
  like.view.dims.s.forEach((d, a) => {
    size[d] = spatial[a] as number;
  });
  size[like.view.dims.c] = channels;
  return size;
}

/** A zero-filled array shaped like `like` with new spatial and channel lengths, same labels. */
export function shapedLike(
  like: Mapped,
  spatial: ArrayLike<number>,
  channels: number,
  dtype: Dtype,
): DlArray {
  const size = sizeLike(like, spatial, channels);
  const n = size.reduce((p, q) => p * q, 1);
  const data = dtype === "single" ? new Float32Array(n) : new Float64Array(n);
  return new DlArray(data, size, like.array.format);
}

/** The size, in the caller's dimension order, of an array shaped like `like` (see `shapedLike`). */
export function callerSizeLike(
  like: Mapped,
  spatial: ArrayLike<number>,
  channels: number,
): number[] {
  const size = sizeLike(like, spatial, channels);
  // `back[k]` is the mapped dimension that becomes the caller's dimension `k`.
  return like.back === null ? size : like.back.map((d) => size[d] as number);
}

/** Converts to the compute precision when it differs (the mixed-dtype rule). */
export function asDtype(data: FloatArray, dtype: Dtype): FloatArray {
  if (dtype === "single") return data instanceof Float32Array ? data : Float32Array.from(data);
  return data instanceof Float64Array ? data : Float64Array.from(data);
}

/** Returns `Y` in the caller's label order (undoing a canonical copy). */
export function inCallerOrder(Y: DlArray, m: Mapped, format: string): DlArray {
  if (m.back === null) return Y;
  const { data, size } = permute(Y.data, Y.size, m.back);
  return new DlArray(data, size, format);
}

/** Runs `body` with WASM buffers that are freed afterwards, whatever happens. */
export function withBuffers<R>(body: (keep: (b: WasmBuffer) => WasmBuffer) => R): R {
  const held: WasmBuffer[] = [];
  try {
    return body((b) => {
      held.push(b);
      return b;
    });
  } finally {
    for (const b of held) b.free();
  }
}

/** `[n, s0, s1, s2, c, origin]` strides of the channels-last layout (column-major `[C S0 S1 S2 N]`). */
export function channelsLast(v: SpatialView): Uint32Array {
  const line = v.channels * v.spatial[0];
  return Uint32Array.of(
    line * v.spatial[1] * v.spatial[2],
    v.channels,
    line,
    line * v.spatial[1],
    1,
    0,
  );
}

function sameStrides(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return Array.from(a).every((x, i) => x === b[i]);
}

/**
 * Copies the tensor a view describes into a new zero-filled WASM buffer of `len` elements in
 * the layout `to` (`[n, s0, s1, s2, c, origin]` strides the core asked for; elements outside
 * the layout stay zero). Data already in that layout is copied as is. Otherwise it goes through `staging`, a
 * WASM buffer whose contents the caller overwrites next anyway (an output): one slab of the
 * source's slowest axis at a time is copied in and reordered by the core on every thread.
 * So reordering costs no extra memory unless `staging` is shorter than one slice of that
 * axis, and no serial JS loop.
 *
 * @returns the buffer; the caller frees it.
 */
export function uploadAs(
  dtype: Dtype,
  data: FloatArray,
  v: SpatialView,
  to: Uint32Array,
  len: number,
  staging: WasmBuffer,
): WasmBuffer {
  const t = typed(dtype);
  const buf = new t.Buffer(len);
  const from = strides(v);
  if (sameStrides(from, to) && data.length === len) {
    view(dtype, buf).set(data);
    return buf;
  }
  const extents = [v.batch, ...v.spatial, v.channels];
  // The slowest axis (largest stride among those longer than 1; any when none is): a slab of
  // it is one run of `data` (dense), every faster axis whole.
  const long = [0, 1, 2, 3, 4].filter((k) => (extents[k] as number) > 1);
  const axis = long.reduce(
    (best, k) => ((from[k] as number) > (from[best] as number) ? k : best),
    long[0] ?? 0,
  );
  const slice = data.length / (extents[axis] as number);
  const own = staging.len() < slice ? new t.Buffer(slice) : null;
  const stage = own ?? staging;
  try {
    const per = Math.floor(stage.len() / slice);
    for (let a = 0; a < (extents[axis] as number); a += per) {
      const b = Math.min(extents[axis] as number, a + per);
      view(dtype, stage).set(data.subarray(a * slice, b * slice));
      const part = Uint32Array.from(extents);
      part[axis] = b - a;
      const dst = Uint32Array.from(to);
      dst[5] = (to[5] as number) + a * (to[axis] as number);
      t.reorder(stage, from, buf, dst, part);
    }
  } finally {
    own?.free();
  }
  return buf;
}

/** Copies a WASM buffer's contents into `out`. */
export function download(dtype: Dtype, buf: WasmBuffer, out: FloatArray): void {
  out.set(view(dtype, buf));
}

export { typed };
