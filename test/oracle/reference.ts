/**
 * A second independent forward oracle, in double precision: the plain loop of docs/semantics.md in
 * ONNX's layouts. Used where ONNX Runtime has no kernel (f64 `ConvTranspose`).
 *
 * @module
 */

import type { OnnxConvTransposeArgs } from "./onnx.js";

type V3 = [number, number, number];
type V5 = [number, number, number, number, number];

/**
 * The loop of docs/semantics.md "The operation", in ONNX layouts (row-major NCDHW, weights
 * [Cin, Cout/g, kD, kH, kW]): every x[n][c][i] adds x * w[c][f][kk] into output position
 * o = i*s + kk*d - padBegin, positions outside [0, out) dropped;
 * out = s*(n-1) + outputPadding + d*(k-1) + 1 - padBegin - padEnd.
 */
export function referenceConvTranspose(a: OnnxConvTransposeArgs): {
  data: Float64Array;
  shape: V5;
} {
  const [N, C, ...inSp] = a.xShape as V5;
  const [, FperG, ...k] = a.wShape as V5;
  const g = a.group ?? 1;
  const s = (a.strides ?? [1, 1, 1]) as V3;
  const d = (a.dilations ?? [1, 1, 1]) as V3;
  const p = a.pads ?? [0, 0, 0, 0, 0, 0];
  const op = (a.outputPadding ?? [0, 0, 0]) as V3;
  const F = FperG * g;
  const CperG = C / g;
  const out = [0, 1, 2].map(
    (ax) =>
      (s[ax] as number) * ((inSp[ax] as number) - 1) +
      (op[ax] as number) +
      (d[ax] as number) * ((k[ax] as number) - 1) +
      1 -
      (p[ax] as number) -
      (p[ax + 3] as number),
  ) as V3;
  const [OD, OH, OW] = out;
  const [ID, IH, IW] = inSp as V3;
  const [KD, KH, KW] = k as V3;
  const y = new Float64Array(N * F * OD * OH * OW);
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++) {
      const b = a.b ? (a.b[f] as number) : 0;
      for (let o = 0; o < OD * OH * OW; o++) y[(n * F + f) * OD * OH * OW + o] = b;
    }
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const grp = Math.floor(c / CperG);
      for (let id = 0; id < ID; id++)
        for (let ih = 0; ih < IH; ih++)
          for (let iw = 0; iw < IW; iw++) {
            const xv = a.x[(((n * C + c) * ID + id) * IH + ih) * IW + iw] as number;
            for (let fo = 0; fo < FperG; fo++) {
              const f = grp * FperG + fo;
              for (let kd = 0; kd < KD; kd++) {
                const od = id * s[0] + kd * d[0] - (p[0] as number);
                if (od < 0 || od >= OD) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const oh = ih * s[1] + kh * d[1] - (p[1] as number);
                  if (oh < 0 || oh >= OH) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const ow = iw * s[2] + kw * d[2] - (p[2] as number);
                    if (ow < 0 || ow >= OW) continue;
                    const wv = a.w[(((c * FperG + fo) * KD + kd) * KH + kh) * KW + kw] as number;
                    const yi = (((n * F + f) * OD + od) * OH + oh) * OW + ow;
                    y[yi] = (y[yi] as number) + xv * wv;
                  }
                }
              }
            }
          }
    }
  return { data: y, shape: [N, F, OD, OH, OW] };
}
