/**
 * The one path from labelled tensors to the WASM core, shared by `dltranspconv` and the layer:
 * map the input's labels onto the kernel's view, make the core's operator (hyperparameters
 * validated, weights packed) and its plan for the input's size (the single source of truth
 * for output sizes, crops and layouts), copy into WASM memory, run, copy out into a new
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
import { SizeError } from "../errors.js";
import { callCore } from "./core-errors.js";
import type { CroppingSpec, Vec3 } from "./options.js";
import {
  glue,
  typed,
  view,
  type WasmBuffer,
  type WasmOperator,
  type WasmPlan,
} from "./wasm-api.js";
import { detachSafe, WasmArray } from "./wasm-array.js";

/** Everything about the operation except the input's size. */
export interface ConvSpec {
  readonly filterSize: Vec3;
  readonly numFilters: number;
  readonly numChannels: number;
  readonly numGroups: number;
  readonly stride: Vec3;
  readonly dilationFactor: Vec3;
  readonly cropping: CroppingSpec;
  /** Samples added at the end of each axis (PyTorch's `output_padding`). */
  readonly outputPadding: Vec3;
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

/**
 * Maps `X` onto the kernel's view, copying into canonical order only when it must.
 *
 * @throws FormatError (headed by `where`) when `X`'s labels do not fit a convolution.
 */
export function mapInput(X: DlArray, where: string): Mapped {
  const v = spatialView(X, where);
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
  return { array, view: spatialView(array, where), back };
}

/** `[n, s0, s1, s2, c, origin]` element strides of a view, as the core takes them. */
export function strides(v: SpatialView): Uint32Array {
  return Uint32Array.from([v.strides.n, ...v.strides.s, v.strides.c, 0]);
}

/**
 * Refuses an input whose channel count is not the spec's: the one check of it, before the
 * core (whose operators know their channels and would only see a buffer of another length).
 *
 * @throws SizeError naming the input's channels and NumChannels.
 */
export function checkChannels(spec: ConvSpec, v: SpatialView, where: string): void {
  if (v.channels !== spec.numChannels) {
    throw new SizeError(
      `${where}: the input has ${v.channels} channels (its C dimension); expected NumChannels = ${spec.numChannels}`,
    );
  }
}

/** The arguments of the core's hyperparameters, in the order its exports take them. */
function hyperparameters(spec: ConvSpec) {
  const manual = spec.cropping.mode === "manual" ? spec.cropping : null;
  return [
    Uint32Array.from(spec.filterSize),
    Uint32Array.from(spec.stride),
    Uint32Array.from(spec.dilationFactor),
    Int32Array.from(manual?.begin ?? [0, 0, 0]),
    Int32Array.from(manual?.end ?? [0, 0, 0]),
    manual === null,
    Uint32Array.from(spec.outputPadding),
  ] as const;
}

/**
 * The core's operator for `spec` in precision `dtype`: hyperparameters validated (messages
 * name the parameter, value and expectation), `weights` and `bias` (or none) packed once.
 * Run inside {@link callCore}.
 */
export function makeOperator(
  spec: ConvSpec,
  dtype: Dtype,
  weights: FloatArray,
  bias: FloatArray | null,
): WasmOperator {
  const g = glue();
  const args = [
    spec.numChannels,
    spec.numFilters,
    spec.numGroups,
    ...hyperparameters(spec),
  ] as const;
  // The element type `dtype` names, which `asDtype` converts to.
  const w = asDtype(weights, dtype);
  const b = asDtype(bias ?? new Float64Array(0), dtype);
  return dtype === "single"
    ? new g.OperatorF32(...args, w as Float32Array, b as Float32Array)
    : new g.OperatorF64(...args, w as Float64Array, b as Float64Array);
}

/**
 * The crops `[[b0, b1, b2], [e0, e1, e2]]` the core resolves for `spec` (output padding taken
 * off the end crops); they depend on no input size nor channel count.
 */
export function resolvedCrops(spec: Omit<ConvSpec, "numChannels" | "numFilters">): [Vec3, Vec3] {
  const c = glue().croppingSize(
    spec.numGroups,
    ...hyperparameters({ ...spec, numChannels: 0, numFilters: 0 }),
  );
  return [
    [c[0] as number, c[1] as number, c[2] as number],
    [c[3] as number, c[4] as number, c[5] as number],
  ];
}

/** What the caller keeps of a plan: it and what it tells (one call at reshape time). */
export interface PlanInfo {
  readonly plan: WasmPlan;
  /** Output length of each spatial axis. */
  readonly outputSize: Vec3;
  /** `[n, s0, s1, s2, c, origin]` strides of the input layout the forward pass runs fastest on. */
  readonly inputStrides: Uint32Array;
  /** Elements of a buffer in that layout (with any slack read past the input). */
  readonly inputLen: number;
  /** `2*N*Cin*(Cout/g)*taps*input voxels`. */
  readonly flops: number;
  /** `[n, s0, s1, s2, c, origin]` strides of the layouts of `X` and `dY` the gradients take. */
  readonly gradientStrides: readonly [Uint32Array, Uint32Array];
}

/** The plan of `op` for the input size of `v`. Run inside {@link callCore}. */
export function makePlan(op: WasmOperator, v: SpatialView): PlanInfo {
  const [s0, s1, s2] = v.spatial as unknown as Vec3;
  const plan = op.reshape(v.batch, s0, s1, s2);
  const d = plan.describe();
  const at = (i: number, n: number) => Uint32Array.from(d.subarray(i, i + n));
  return {
    plan,
    outputSize: [d[0] as number, d[1] as number, d[2] as number],
    inputStrides: at(3, 6),
    inputLen: d[9] as number,
    flops: d[10] as number,
    gradientStrides: [Uint32Array.of(...at(11, 5), 0), Uint32Array.of(...at(16, 5), 0)],
  };
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

function sameStrides(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return Array.from(a).every((x, i) => x === b[i]);
}

/**
 * The tensor `src` (which `v` describes) in a WASM buffer of `len` elements in the layout `to`
 * (`[n, s0, s1, s2, c, origin]` strides the core asked for; elements outside the layout are
 * zero). A {@link WasmArray} already in that layout is used as it is when `direct` (it is not
 * also an output); otherwise the core reorders it into a new buffer in one parallel pass.
 *
 * Data in JS memory already in that layout is copied as is. Otherwise it goes in bricks
 * through `staging`, a WASM buffer whose contents the caller overwrites next anyway (an
 * output it owns), and the core reorders each brick on every thread. A brick is a range of
 * the slowest axis other than the channels', every other axis whole: it holds all channels of
 * its voxels, so the reorder writes whole runs of the (channels-fastest) destination rather
 * than one element per cache line. When `staging` is null or holds less than a twelfth of the
 * tensor, a buffer of that size (at least one brick) is made for it, so that the passes stay
 * few (workspace under 10% of the tensor); no serial JS loop over elements either way.
 *
 * @param keep - takes ownership of each buffer made (the caller frees them).
 */
export function uploadAs(
  src: DlArray,
  v: SpatialView,
  to: Uint32Array,
  len: number,
  staging: WasmBuffer | null,
  direct: boolean,
  keep: (b: WasmBuffer) => WasmBuffer,
): WasmBuffer {
  const dtype = src.dtype;
  const t = typed(dtype);
  const from = strides(v);
  const same = sameStrides(from, to) && src.numel === len;
  const ext = [v.batch, ...v.spatial, v.channels];
  if (src instanceof WasmArray) {
    const res = src.buffer("an input", "upload");
    if (same && direct) return res;
    const buf = keep(new t.Buffer(len));
    t.reorder(res, from, buf, to, Uint32Array.from(ext));
    return buf;
  }
  const data = detachSafe(src.data);
  const buf = keep(new t.Buffer(len));
  if (same) {
    view(dtype, buf).set(data);
    return buf;
  }
  const at = (k: number) => from[k] as number;
  const long = [0, 1, 2, 3, 4].filter((k) => (ext[k] as number) > 1);
  const split = long.filter((k) => k !== 4);
  const pick = split.length > 0 ? split : long;
  const axis = pick.reduce((best, k) => (at(k) > at(best) ? k : best), pick[0] ?? 0);
  // `data` is dense: one index of `axis` with every faster axis is one run of `at(axis)`
  // elements; the slower (outer) axes repeat the runs.
  const outer = long.filter((k) => at(k) > at(axis)).sort((p, q) => at(p) - at(q));
  const runs = outer.reduce((n, k) => n * (ext[k] as number), 1);
  const brick = at(axis) * runs;
  const want = Math.max(brick, Math.floor(data.length / 12));
  const own = staging === null || staging.len() < want ? new t.Buffer(want) : null;
  const stage = own ?? (staging as WasmBuffer);
  try {
    const per = Math.floor(stage.len() / brick);
    const n = ext[axis] as number;
    for (let a = 0; a < n; a += per) {
      const b = Math.min(n, a + per);
      const run = (b - a) * at(axis);
      // Runs in the order of the outer axes (first fastest), packed one after another.
      const into = view(dtype, stage);
      const stride = Uint32Array.from(from);
      let packed = run;
      for (const k of outer) {
        stride[k] = packed;
        packed *= ext[k] as number;
      }
      for (let r = 0; r < runs; r++) {
        let first = at(5) + a * at(axis);
        let rest = r;
        for (const k of outer) {
          const e = ext[k] as number;
          first += (rest % e) * at(k);
          rest = Math.floor(rest / e);
        }
        into.set(data.subarray(first, first + run), r * run);
      }
      stride[5] = 0;
      const part = Uint32Array.from(ext);
      part[axis] = b - a;
      const dst = Uint32Array.from(to);
      dst[5] = (to[5] as number) + a * (to[axis] as number);
      t.reorder(stage, stride, buf, dst, part);
    }
  } finally {
    own?.free();
  }
  return buf;
}

/** The WASM buffer of an array that lives there (a {@link WasmArray}), else null. */
export function residentBuffer(X: DlArray): WasmBuffer | null {
  return X instanceof WasmArray ? X.buffer("an array", "tconv3d") : null;
}

/** Copies a WASM buffer's contents into `out`. */
export function download(dtype: Dtype, buf: WasmBuffer, out: FloatArray): void {
  out.set(view(dtype, buf));
}

export { typed };
