// Benchmark shapes (bench/shapes.json) mapped to the two conventions in play:
// ONNX ConvTranspose on row-major [N, C, D, H, W], and tconv3d on fromNCDHW(...) = a
// column-major "SSSCB" array of size [W, H, D, C, N], whose spatial vectors are in [W, H, D] order.
//
// shapes.json: `n` means D = H = W = n; `dims` and a vector `stride` follow MATLAB's order
// [H W D] (the `matlab` shape: dims [16 16 8] = H 16, W 16, D 8; stride [4 4 2] = sH 4, sW 4, sD 2).
//
// Output sizes and FLOPs are the core's answers (geometry is computed once, in Rust).

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { newOperator, planOf } from "./core.mjs";

/** The benchmark shapes' file (`--shapes-file` of bench/run.mjs reads another). */
export const SHAPES_FILE = join(dirname(fileURLToPath(import.meta.url)), "..", "shapes.json");

function hwd(v, what, id) {
  if (typeof v === "number") return { h: v, w: v, d: v };
  if (Array.isArray(v) && v.length === 3) return { h: v[0], w: v[1], d: v[2] };
  throw new Error(
    `shapes.json: ${id}.${what} must be a number or [H W D], got ${JSON.stringify(v)}`,
  );
}

/**
 * `geometry(shape)`: everything the benchmark needs to know about a shape of shapes.json, its
 * output size and FLOPs asked of `runtime` (a tconv3d runtime's `wasm()`; by default the
 * package's single-threaded build, loaded by `init()` of its Node entry).
 */
export async function loadGeometry(runtime) {
  if (runtime === undefined) {
    const tconv3d = await import("tconv3d");
    await tconv3d.init({ variant: "simd", threads: 1 });
    const backend = new URL("./runtime/backend.js", import.meta.resolve("tconv3d"));
    runtime = (await import(backend.href)).wasm();
  }
  return (shape) => geometry(shape, runtime);
}

/** The output size and FLOPs of `g` (its vectors and sizes from shapes.json; `wNumel` weights),
 * as the core's plan for it gives them. */
function planned(runtime, g, wNumel) {
  const held = [];
  try {
    // Zero weights, of the length the operator checks.
    const w = new Float32Array(wNumel);
    const op = newOperator(runtime.exports.OperatorF32, g, w, new Float32Array(0));
    held.push(op);
    const { plan, out, flops } = planOf(op, g);
    held.push(plan);
    return { out, flops };
  } catch (e) {
    throw new Error(`shapes.json: ${g.id}: ${e.message}`);
  } finally {
    for (const o of held.reverse()) o.free();
  }
}

/** Everything the benchmark needs to know about one shape, sizes and FLOPs from `runtime`. */
function geometry(shape, runtime) {
  const { id, N, Cin, Cout } = shape;
  const k = hwd(shape.k, "k", id);
  const s = hwd(shape.stride ?? 1, "stride", id);
  const c = hwd(shape.crop ?? 0, "crop", id);
  const n = hwd(shape.dims ?? shape.n, shape.dims ? "dims" : "n", id);
  const wNumel = Cin * Cout * k.d * k.h * k.w;
  const g = { id, N, Cin, Cout, k, stride: s, crop: c, in: n };
  const { out, flops } = planned(runtime, g, wNumel);
  return {
    ...g,
    out,
    flops,
    // ONNX / row-major NCDHW
    xShape: [N, Cin, n.d, n.h, n.w],
    yShape: [N, Cout, out.d, out.h, out.w],
    wShape: [Cin, Cout, k.d, k.h, k.w],
    onnxStrides: [s.d, s.h, s.w],
    onnxPads: [c.d, c.h, c.w, c.d, c.h, c.w],
    // tconv3d on fromNCDHW input: spatial vectors in [W, H, D] order; weights [kW kH kD Cout Cin]
    // column-major = the ONNX weight memory.
    ourFilter: [k.w, k.h, k.d],
    ourStride: [s.w, s.h, s.d],
    ourCropping: c.w === c.h && c.h === c.d ? c.w : [c.w, c.h, c.d],
    ourWeightSize: [k.w, k.h, k.d, Cout, Cin],
    xNumel: N * Cin * n.d * n.h * n.w,
    yNumel: N * Cout * out.d * out.h * out.w,
    wNumel,
    describe:
      `N${N} ${Cin}→${Cout} k${fmt3(k)} s${fmt3(s)} c${fmt3(c)} ` +
      `in ${n.d}×${n.h}×${n.w} → ${out.d}×${out.h}×${out.w} (D×H×W)`,
  };
}

function fmt3(v) {
  return v.d === v.h && v.h === v.w ? `${v.d}` : `[${v.d},${v.h},${v.w}]`;
}
