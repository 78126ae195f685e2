/**
 * The kernel's view of a labelled input: three convolution axes, channels and batch, each with
 * its length and its stride in elements of `X.data`. Any label order is a strided view; nothing
 * is copied.
 *
 * @module
 */

import { FormatError } from "../errors.js";
import { describeValue } from "./describe.js";
import type { DlArray } from "./dlarray.js";
import { columnMajorStrides } from "./permute.js";

/** One dimension that contributes to the folded batch index. */
export interface BatchAxis {
  /** `"B"` or `"T"`. */
  readonly label: "B" | "T";
  /** 0-based dimension index in `X.size`. */
  readonly dim: number;
  /** Its length. */
  readonly size: number;
  /** Its stride in elements of `X.data`. */
  readonly stride: number;
}

/**
 * Where the three convolution axes, the channels and the batch items of a labelled array live in
 * its column-major `data`: element `(i0, i1, i2, c, n)` is
 * `data[i0*s[0] + i1*s[1] + i2*s[2] + c*strides.c + n*strides.n]` (when {@link foldable}).
 */
export interface SpatialView {
  /** The format the view was made for. */
  readonly format: string;
  /** Number of independent items: length of `B` times, when `T` is folded in, length of `T`. */
  readonly batch: number;
  /** Length of the `C` dimension. */
  readonly channels: number;
  /**
   * Lengths of the three convolution axes, in the order their labels appear in the format (the
   * `S` dimensions; for two `S` plus `T`, the `T` dimension is the third axis).
   */
  readonly spatial: readonly [number, number, number];
  /** Strides in elements of `X.data`. `n` is meaningful only when {@link foldable} is true. */
  readonly strides: {
    readonly n: number;
    readonly s: readonly [number, number, number];
    readonly c: number;
  };
  /** 0-based dimension indices: the three convolution axes and the channel dimension. */
  readonly dims: { readonly s: readonly [number, number, number]; readonly c: number };
  /** Whether `T` is the third convolution axis (formats with two `S`, e.g. `"SSCBT"`). */
  readonly timeAsSpatial: boolean;
  /**
   * The `B` (and, when folded, `T`) dimensions, ordered fastest-first in the folded batch index
   * `n` (`n = b + nB*t` for `[B, T]`).
   */
  readonly batchAxes: readonly BatchAxis[];
  /**
   * Labels of the batch axes longer than 1, fastest first: `""`, `"B"`, `"T"`, `"BT"` or `"TB"`.
   * Two views whose `batch` and `batchOrder` agree number their batch items identically, so an
   * output allocated with the input's labels can be walked with its own view.
   */
  readonly batchOrder: string;
  /**
   * True when every batch item starts at `n * strides.n`: there is at most one batch axis longer
   * than 1, or `B` and `T` are adjacent in memory (one's stride equals the other's stride times
   * its length). When false (e.g. `"SSSBCT"` with both `B` and `T` longer than 1), the caller must
   * copy, e.g. with `X.toCanonical()`, which always yields a foldable layout.
   */
  readonly foldable: boolean;
}

function unsupported(format: string, why: string, where: string): never {
  throw new FormatError(
    `${where}: input format ${describeValue(format)} is not supported (${why}); expected ` +
      'three S dimensions and a C, optionally B and T (e.g. "SSSC", "SSSCB", "SSSCBT", any order; ' +
      'T is then folded into the batch), or two S dimensions, a C and a T (e.g. "SSCBT"; T is then ' +
      "the third convolution axis)",
  );
}

/**
 * Maps a labelled array onto the kernel's view: batch, channels, three convolution axes, and
 * their strides in elements of `X.data` (column-major).
 *
 * Accepted formats (labels in any order):
 * - three `S`, one `C`, optional `B`, optional `T`: `T` is treated as more batch items
 *   (MATLAB's `SSSCBT`: time steps are independent);
 * - two `S`, one `C`, one `T`, optional `B`: `T` is the third convolution axis (MATLAB's
 *   `SSCBT`).
 *
 * @param X - the labelled input.
 * @param where - the function name that heads the messages.
 * @returns the view; check {@link SpatialView.foldable} before using `strides.n`.
 * @throws {@link FormatError} naming the format for unformatted arrays, `U` dimensions, a
 *   missing `C`, or a number of spatial axes other than the above.
 */
export function spatialView(X: DlArray, where = "spatialView"): SpatialView {
  const format = X.format;
  if (format.length === 0) {
    throw new FormatError(
      `${where}: input is unformatted (format ""); give it a format such as "SSSCB" ` +
        "(dlarray(data, size, format), or the dataFormat option)",
    );
  }
  if (format.includes("U")) unsupported(format, "it has a U dimension", where);
  const sDims = X.finddim("S");
  const cDim = X.finddim("C")[0];
  const bDim = X.finddim("B")[0];
  const tDim = X.finddim("T")[0];
  if (cDim === undefined) unsupported(format, "it has no C dimension", where);

  let convDims: [number, number, number];
  let timeAsSpatial = false;
  if (sDims.length === 3) {
    convDims = sDims as [number, number, number];
  } else if (sDims.length === 2 && tDim !== undefined) {
    convDims = [sDims[0] as number, sDims[1] as number, tDim];
    timeAsSpatial = true;
  } else {
    unsupported(
      format,
      `it has ${sDims.length} S dimension${sDims.length === 1 ? "" : "s"}`,
      where,
    );
  }

  const size = X.size;
  const st = columnMajorStrides(size);
  const axis = (label: "B" | "T", dim: number): BatchAxis => ({
    label,
    dim,
    size: size[dim] as number,
    stride: st[dim] as number,
  });
  let batchAxes: BatchAxis[] = [];
  if (bDim !== undefined) batchAxes.push(axis("B", bDim));
  if (tDim !== undefined && !timeAsSpatial) batchAxes.push(axis("T", tDim));
  // Fastest (smallest stride) first.
  batchAxes.sort((a, b) => a.stride - b.stride);

  let batch = 1;
  for (const a of batchAxes) batch *= a.size;

  const long = batchAxes.filter((a) => a.size > 1);
  let foldable = true;
  let n = X.numel;
  if (long.length === 1) {
    n = (long[0] as BatchAxis).stride;
  } else if (long.length === 2) {
    const [a, b] = long as [BatchAxis, BatchAxis];
    foldable = b.stride === a.stride * a.size;
    n = a.stride;
  } else if (batchAxes.length > 0) {
    n = (batchAxes[0] as BatchAxis).stride;
  }
  // Put singleton axes last so batchAxes reads as the fold order of the axes that matter.
  batchAxes = [...long, ...batchAxes.filter((a) => a.size <= 1)];

  return {
    format,
    batch,
    channels: size[cDim] as number,
    spatial: convDims.map((d) => size[d] as number) as [number, number, number],
    strides: {
      n,
      s: convDims.map((d) => st[d] as number) as [number, number, number],
      c: st[cDim] as number,
    },
    dims: { s: convDims, c: cDim },
    timeAsSpatial,
    batchAxes,
    batchOrder: long.map((a) => a.label).join(""),
    foldable,
  };
}
