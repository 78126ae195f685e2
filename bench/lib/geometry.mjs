// Benchmark shapes (bench/shapes.json) mapped to the two conventions in play:
// ONNX ConvTranspose on row-major [N, C, D, H, W], and tconv3d on fromNCDHW(...) = a
// column-major "SSSCB" array of size [W, H, D, C, N], whose spatial vectors are in [W, H, D] order.
//
// shapes.json: `n` means D = H = W = n; `dims` and a vector `stride` follow MATLAB's order
// [H W D] (the `matlab` shape: dims [16 16 8] = H 16, W 16, D 8; stride [4 4 2] = sH 4, sW 4, sD 2).

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The benchmark shapes' file (`--shapes-file` of bench/run.mjs reads another). */
export const SHAPES_FILE = join(dirname(fileURLToPath(import.meta.url)), "..", "shapes.json");

function hwd(v, what, id) {
  if (typeof v === "number") return { h: v, w: v, d: v };
  if (Array.isArray(v) && v.length === 3) return { h: v[0], w: v[1], d: v[2] };
  throw new Error(
    `shapes.json: ${id}.${what} must be a number or [H W D], got ${JSON.stringify(v)}`,
  );
}

/** Everything the benchmark needs to know about one shape. */
export function geometry(shape) {
  const { id, N, Cin, Cout } = shape;
  const k = hwd(shape.k, "k", id);
  const s = hwd(shape.stride ?? 1, "stride", id);
  const c = hwd(shape.crop ?? 0, "crop", id);
  const n = hwd(shape.dims ?? shape.n, shape.dims ? "dims" : "n", id);
  const out = {
    d: s.d * (n.d - 1) + k.d - 2 * c.d,
    h: s.h * (n.h - 1) + k.h - 2 * c.h,
    w: s.w * (n.w - 1) + k.w - 2 * c.w,
  };
  if (out.d < 1 || out.h < 1 || out.w < 1) throw new Error(`shapes.json: ${id}: empty output`);
  const flops = 2 * N * Cin * Cout * k.d * k.h * k.w * n.d * n.h * n.w;
  return {
    id,
    N,
    Cin,
    Cout,
    k,
    stride: s,
    crop: c,
    in: n,
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
    wNumel: Cin * Cout * k.d * k.h * k.w,
    describe:
      `N${N} ${Cin}→${Cout} k${fmt3(k)} s${fmt3(s)} c${fmt3(c)} ` +
      `in ${n.d}×${n.h}×${n.w} → ${out.d}×${out.h}×${out.w} (D×H×W)`,
  };
}

function fmt3(v) {
  return v.d === v.h && v.h === v.w ? `${v.d}` : `[${v.d},${v.h},${v.w}]`;
}
