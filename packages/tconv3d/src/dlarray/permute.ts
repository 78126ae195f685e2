/**
 * Generic N-d permutation of column-major (first dimension fastest) arrays.
 *
 * @module
 */

import { ArgumentError, SizeError } from "../errors.js";

/** Float typed arrays that tensors in this package hold. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Column-major strides, in elements, of a dense array of the given size:
 * `strides[0] = 1`, `strides[i] = size[0] * ... * size[i-1]`.
 *
 * @param size - dimension lengths.
 * @returns one stride per dimension.
 */
export function columnMajorStrides(size: readonly number[]): number[] {
  const strides = new Array<number>(size.length);
  let s = 1;
  for (let i = 0; i < size.length; i++) {
    strides[i] = s;
    s *= size[i] as number;
  }
  return strides;
}

/**
 * Returns whether `order` is a permutation of `0 .. n-1`.
 *
 * @param order - candidate permutation.
 * @param n - number of dimensions.
 */
export function isPermutation(order: readonly number[], n: number): boolean {
  if (order.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const d of order) {
    if (!Number.isInteger(d) || d < 0 || d >= n || seen[d]) return false;
    seen[d] = 1;
  }
  return true;
}

/**
 * Returns whether permuting an array of this size by `order` leaves its memory unchanged, i.e.
 * the dimensions longer than 1 keep their relative order (singleton dimensions may move freely).
 *
 * @param size - dimension lengths of the source array.
 * @param order - `order[k]` is the source dimension that becomes dimension `k`.
 */
export function isTrivialPermutation(size: readonly number[], order: readonly number[]): boolean {
  let last = -1;
  for (const d of order) {
    if ((size[d] as number) === 1) continue;
    if (d < last) return false;
    last = d;
  }
  return true;
}

/**
 * Copies a column-major array into a new column-major array whose dimension `k` is the source's
 * dimension `order[k]` (MATLAB's `permute(A, order + 1)`).
 *
 * Works for any number of dimensions; the inner loop runs over the output's first dimension
 * with a constant source stride, so the cost is one pass over the data.
 *
 * @param data - source elements, column-major, `data.length === prod(size)`.
 * @param size - source dimension lengths.
 * @param order - a permutation of `0 .. size.length-1` (0-based).
 * @returns the permuted copy (same element type as `data`) and its size.
 * @throws {@link ArgumentError} when `order` is not a permutation; {@link SizeError} when
 *   `data.length !== prod(size)`.
 */
export function permute<T extends FloatArray>(
  data: T,
  size: readonly number[],
  order: readonly number[],
): { data: T; size: number[] } {
  const n = size.length;
  if (!isPermutation(order, n)) {
    throw new ArgumentError(
      `permute: order must be a permutation of 0..${n - 1} (0-based), got [${order.join(",")}]`,
    );
  }
  let numel = 1;
  for (const s of size) numel *= s;
  if (data.length !== numel) {
    throw new SizeError(
      `permute: data has ${data.length} elements but size [${size.join(",")}] needs ${numel}`,
    );
  }
  const outSize = order.map((d) => size[d] as number);
  const out = new (data.constructor as { new (length: number): T })(numel);
  if (numel === 0) return { data: out, size: outSize };

  const inStrides = columnMajorStrides(size);
  // Source stride of each output dimension.
  const srcStride = order.map((d) => inStrides[d] as number);

  if (n === 0) {
    out[0] = data[0] as number;
    return { data: out, size: outSize };
  }

  const n0 = outSize[0] as number;
  const s0 = srcStride[0] as number;
  // Odometer over output dimensions 1..n-1.
  const idx = new Array<number>(n).fill(0);
  let src = 0;
  let dst = 0;
  const outer = numel / n0;
  for (let o = 0; o < outer; o++) {
    let p = src;
    for (let i = 0; i < n0; i++) {
      out[dst++] = data[p] as number;
      p += s0;
    }
    // Advance the odometer.
    for (let k = 1; k < n; k++) {
      const len = outSize[k] as number;
      const st = srcStride[k] as number;
      if ((idx[k] as number) + 1 < len) {
        idx[k] = (idx[k] as number) + 1;
        src += st;
        break;
      }
      src -= (idx[k] as number) * st;
      idx[k] = 0;
    }
  }
  return { data: out, size: outSize };
}
