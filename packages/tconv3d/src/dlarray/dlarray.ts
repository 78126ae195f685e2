/**
 * `dlarray`: a format-aware, column-major tensor in the spirit of MATLAB's `dlarray`.
 *
 * Memory order is column-major (first dimension fastest), exactly like MATLAB, so a MATLAB array
 * dumped as raw bytes loads unchanged. Unlike MATLAB, construction never permutes: labels may come
 * in any order and consumers find dimensions by label. A row-major PyTorch/ONNX tensor
 * `[N, C, D, H, W]` is the same memory as a column-major `[W, H, D, C, N]` `"SSSCB"` array, which
 * makes interop zero-copy ({@link fromNCDHW}, {@link fromNDHWC}, {@link DlArray.toNCDHW},
 * {@link DlArray.toNDHWC}).
 *
 * @module
 */

import { ArgumentError, FormatError, SizeError, type Tconv3dError } from "../errors.js";
import { describeValue } from "./describe.js";
import { type FloatArray, isTrivialPermutation, permute } from "./permute.js";

export type { FloatArray } from "./permute.js";

/** A dimension label: `S` spatial, `C` channel, `B` batch, `T` time, `U` unspecified. */
export type Label = "S" | "C" | "B" | "T" | "U";

/**
 * `true` when the string literal `F` is a format (see {@link Format}), else `false`.
 *
 * @typeParam F - the format as written.
 * @typeParam Seen - the once-only labels (`C`, `B`, `T`) met so far; leave it out.
 */
export type IsFormat<F extends string, Seen extends string = never> = F extends ""
  ? true
  : F extends `${infer H}${infer R}`
    ? H extends "S" | "U"
      ? IsFormat<R, Seen>
      : H extends "C" | "B" | "T"
        ? [H] extends [Seen]
          ? false
          : IsFormat<R, Seen | H>
        : false
    : false;

/**
 * A format string checked at compile time: `F` itself when it is a valid format (labels `S`,
 * `C`, `B`, `T`, `U`; `C`, `B` and `T` at most once; any length, `""` for unformatted),
 * otherwise a string type that spells out the mistake, so that passing `"SSX"` fails to compile
 * with that message. A plain `string` (not a literal) passes; it is checked at run time.
 *
 * ```ts
 * dlarray(data, [8, 8, 8, 3, 2], "SSSCB"); // compiles
 * dlarray(data, [8, 8, 8, 3, 2], "SSX"); // error: ... 'invalid format "SSX": ...'
 * ```
 *
 * @typeParam F - the format as written (a string literal type, or `string`).
 */
export type Format<F extends string> = string extends F
  ? F
  : IsFormat<F> extends true
    ? F
    : `invalid format "${F}": expected labels S, C, B, T, U, with C, B and T at most once`;

/** MATLAB's name for the element type: `"single"` is `Float32Array`, `"double"` `Float64Array`. */
export type Dtype = "single" | "double";

/** The element type ({@link Dtype}) that corresponds to a typed-array class. */
export type DtypeOf<T extends FloatArray> = T extends Float64Array ? "double" : "single";

/**
 * The array type of `T`'s element type, whatever its buffer: `Float32Array` for single,
 * `Float64Array` for double (a union stays a union). What a computation on `T` data returns:
 * a new array of the same precision (or the caller's `out`), not necessarily `T`'s kind of buffer.
 */
export type SameDtype<T extends FloatArray> = T extends Float64Array ? Float64Array : Float32Array;

/** A row-major tensor as PyTorch, ONNX Runtime or TF.js hold it. */
export interface RowMajorTensor<T extends FloatArray = FloatArray> {
  /** Elements, row-major (last dimension fastest). */
  readonly data: T;
  /** Dimension lengths, outermost first (e.g. `[N, C, D, H, W]`). */
  readonly shape: number[];
}

const LABELS: readonly Label[] = ["S", "C", "B", "T", "U"];
const SINGLE_LABELS = new Set<string>(["C", "B", "T"]);
/** MATLAB's canonical order of labels. */
const CANONICAL_RANK: Record<Label, number> = { S: 0, C: 1, B: 2, T: 3, U: 4 };

/** Returns whether `x` is a `Float32Array` or a `Float64Array`. */
export function isFloatArray(x: unknown): x is FloatArray {
  return x instanceof Float32Array || x instanceof Float64Array;
}

/** `"single"` for a `Float32Array`, `"double"` for a `Float64Array`. */
export function dtypeOf(data: FloatArray): Dtype {
  return data instanceof Float64Array ? "double" : "single";
}

function fail(ctor: new (message: string) => Tconv3dError, where: string, msg: string): never {
  throw new ctor(`${where}: ${msg}`);
}

/**
 * Validates a size vector: an array of nonnegative integers.
 *
 * @param size - the value received.
 * @param where - the function name for the message (e.g. `"dlarray"`).
 * @param argName - the argument name for the message (e.g. `"size"`).
 * @returns a fresh copy as a plain array.
 * @throws {@link ArgumentError} when `size` is not an array of nonnegative integers.
 */
export function checkSize(size: unknown, where: string, argName = "size"): number[] {
  const isList = Array.isArray(size) || (ArrayBuffer.isView(size) && !(size instanceof DataView));
  if (!isList) {
    fail(
      ArgumentError,
      where,
      `${argName} must be an array of nonnegative integers, got ${describeValue(size)}`,
    );
  }
  const arr = Array.from(size as ArrayLike<unknown>);
  for (const s of arr) {
    if (typeof s !== "number") {
      fail(
        ArgumentError,
        where,
        `${argName} must be an array of nonnegative integers, got ${describeValue(size)}`,
      );
    }
  }
  const nums = arr as number[];
  for (const s of nums) {
    if (!Number.isInteger(s) || s < 0 || !Number.isSafeInteger(s)) {
      fail(
        ArgumentError,
        where,
        `${argName} must be an array of nonnegative integers, got ${describeValue(nums)}`,
      );
    }
  }
  return nums;
}

/**
 * Validates a format string: labels from `S C B T U`, with `C`, `B` and `T` at most once.
 *
 * @param format - the value received (`undefined` means unformatted, `""`).
 * @param where - the function name for the message.
 * @returns the format string.
 * @throws {@link ArgumentError} when `format` is not a string; {@link FormatError} for an
 *   unknown or repeated label.
 */
export function checkFormat(format: unknown, where: string): string {
  if (format === undefined) return "";
  if (typeof format !== "string") {
    fail(
      ArgumentError,
      where,
      `format must be a string of dimension labels (S, C, B, T, U), got ${describeValue(format)}`,
    );
  }
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] as string;
    if (!(LABELS as readonly string[]).includes(ch)) {
      fail(
        FormatError,
        where,
        `format ${describeValue(format)} has unknown label ${describeValue(ch)} at position ${i}; ` +
          "expected only the labels S (spatial), C (channel), B (batch), T (time), U (unspecified)",
      );
    }
  }
  for (const l of SINGLE_LABELS) {
    const count = format.split(l).length - 1;
    if (count > 1) {
      fail(
        FormatError,
        where,
        `format ${describeValue(format)} has label "${l}" ${count} times; ` +
          "expected C, B and T at most once each (S and U may repeat)",
      );
    }
  }
  return format;
}

/**
 * A format-aware, column-major tensor (MATLAB's `dlarray`).
 *
 * The object never copies or permutes the `data` it is given: `X.data` is the caller's array.
 * Writing into it changes the tensor.
 *
 * @typeParam T - the element storage, `Float32Array` ("single") or `Float64Array` ("double").
 */
export class DlArray<T extends FloatArray = FloatArray> {
  readonly #data: T;
  /**
   * The full size: one entry per label of {@link DlArray.format} (trailing singleton dimensions
   * omitted at construction are filled in as 1). For an unformatted array, the size as given.
   */
  readonly size: readonly number[];
  /** The dimension labels, one per dimension, e.g. `"SSSCB"`; `""` when unformatted. */
  readonly format: string;

  /**
   * Validating constructor; {@link dlarray} is the usual way in.
   *
   * @param data - elements, column-major; `data.length` must equal `prod(size)`.
   * @param size - dimension lengths; with a format, trailing singleton dimensions may be omitted
   *   (e.g. format `"SSSCB"` with size `[4, 4, 4, 3]` means one batch item), and trailing
   *   extra dimensions of length 1 are dropped; so are trailing singleton `"U"` dimensions, as
   *   in MATLAB (two dimensions stay at least).
   * @param format - dimension labels, or `""`/omitted for an unformatted array (checked at run
   *   time only; {@link dlarray} also checks a literal at compile time).
   * @throws {@link Tconv3dError} naming the offending argument (see {@link dlarray}).
   */
  constructor(data: T, size: readonly number[], format?: string) {
    const where = "dlarray";
    if (!isFloatArray(data)) {
      fail(
        ArgumentError,
        where,
        `data must be a Float32Array or Float64Array, got ${describeValue(data)}`,
      );
    }
    let sz = checkSize(size, where);
    let fmt = checkFormat(format, where);
    if (fmt.length > 0) {
      if (sz.length > fmt.length) {
        const extra = sz.slice(fmt.length);
        if (extra.some((s) => s !== 1)) {
          fail(
            FormatError,
            where,
            `format ${describeValue(fmt)} has ${fmt.length} labels but size ${describeValue(sz)} ` +
              `has ${sz.length} dimensions; expected one label per dimension ` +
              "(only trailing singleton dimensions may go unlabelled)",
          );
        }
        sz = sz.slice(0, fmt.length);
      }
      while (sz.length < fmt.length) sz.push(1);
      // As MATLAB: trailing singleton "U" dimensions are dropped (an array keeps two at least).
      while (fmt.length > 2 && fmt.endsWith("U") && sz[sz.length - 1] === 1) {
        fmt = fmt.slice(0, -1);
        sz.pop();
      }
    }
    let numel = 1;
    for (const s of sz) numel *= s;
    if (numel !== data.length) {
      fail(
        SizeError,
        where,
        `data has ${data.length} elements but size ${describeValue(sz)} needs ${numel}; ` +
          "expected data.length === prod(size)",
      );
    }
    this.#data = data;
    this.size = Object.freeze(sz);
    this.format = fmt;
  }

  /** The elements, column-major (first dimension fastest). Never copied at construction. */
  get data(): T {
    return this.#data;
  }

  /** `"single"` for `Float32Array` data, `"double"` for `Float64Array`. */
  get dtype(): DtypeOf<T> {
    return dtypeOf(this.data) as DtypeOf<T>;
  }

  /** Number of elements, `prod(size)`. */
  get numel(): number {
    return this.data.length;
  }

  /** Number of dimensions, `size.length`. */
  get ndims(): number {
    return this.size.length;
  }

  /** The format string (MATLAB's `dims(X)`), e.g. `"SSSCB"`; `""` when unformatted. */
  dims(): string {
    return this.format;
  }

  /**
   * The 0-based indices of the dimensions that carry `label`, in order (MATLAB's `finddim`, minus
   * one). Empty when the label is absent or the array is unformatted.
   *
   * @param label - one of `S C B T U`.
   * @throws {@link FormatError} when `label` is not one of those.
   */
  finddim(label: Label): number[] {
    if (typeof label !== "string" || !(LABELS as readonly string[]).includes(label)) {
      fail(
        FormatError,
        "DlArray.finddim",
        `label must be one of "S", "C", "B", "T", "U", got ${describeValue(label)}`,
      );
    }
    const out: number[] = [];
    for (let i = 0; i < this.format.length; i++) if (this.format[i] === label) out.push(i);
    return out;
  }

  /**
   * The same data and size without labels (MATLAB's `stripdims(X)`); no copy.
   *
   * @throws ArgumentError when given an argument: MATLAB's `stripdims` takes none, and a
   *   format passed here would otherwise be ignored without a word (relabel with
   *   `dlarray(X.data, X.size, format)`).
   */
  stripdims(...args: never[]): DlArray<T> {
    checkNoArguments("stripdims", args);
    return new DlArray(this.data, this.size, "");
  }

  /**
   * A copy permuted into MATLAB's canonical label order: all `S`, then `C`, `B`, `T`, then all
   * `U` (the relative order of the `S` dimensions, and of the `U` ones, is kept). Always a copy,
   * even when already canonical. An unformatted array is copied as is.
   */
  toCanonical(): DlArray<T> {
    const n = this.size.length;
    const order = Array.from({ length: n }, (_, i) => i);
    if (this.format.length > 0) {
      order.sort(
        (a, b) =>
          CANONICAL_RANK[this.format[a] as Label] - CANONICAL_RANK[this.format[b] as Label] ||
          a - b,
      );
    }
    const { data, size } = permute(this.data, this.size, order);
    const fmt = order.map((d) => this.format[d] ?? "").join("");
    return new DlArray(data, size, fmt);
  }

  /**
   * The tensor as row-major `[N, C, D, H, W]` (PyTorch/ONNX layout). The first `S` dimension
   * becomes `W`, the second `H`, the third `D`. Zero copy (`result.data === X.data`) when the
   * dimensions longer than 1 already come in the order S, S, S, C, B (e.g. `"SSSCB"`, or `"SSSC"`
   * with any batch); otherwise a permuted copy.
   *
   * Requires exactly three `S` dimensions; `C` and `B` may be absent (length 1); `T` and `U`
   * dimensions are allowed only with length 1.
   *
   * @throws {@link FormatError} for other formats.
   */
  toNCDHW(): RowMajorTensor<T> {
    return this.toRowMajor("NCDHW");
  }

  /**
   * The tensor as row-major channels-last `[N, D, H, W, C]` (TF.js/Keras layout): zero copy when
   * the dimensions longer than 1 already come in the order C, S, S, S, B (e.g. `"CSSSB"`),
   * otherwise a permuted copy. Same requirements as {@link DlArray.toNCDHW}.
   *
   * @throws {@link FormatError} for formats without exactly three `S` dimensions.
   */
  toNDHWC(): RowMajorTensor<T> {
    return this.toRowMajor("NDHWC");
  }

  private toRowMajor(layout: "NCDHW" | "NDHWC"): RowMajorTensor<T> {
    const where = `DlArray.to${layout}`;
    const s = this.finddim("S");
    if (s.length !== 3) {
      fail(
        FormatError,
        where,
        `needs exactly three S dimensions, got format ${describeValue(this.format)}`,
      );
    }
    const [s0, s1, s2] = s as [number, number, number];
    const c = this.finddim("C")[0];
    const b = this.finddim("B")[0];
    const others: number[] = [];
    for (let i = 0; i < this.format.length; i++) {
      const l = this.format[i];
      if (l === "T" || l === "U") {
        if (this.size[i] !== 1) {
          fail(
            FormatError,
            where,
            `format ${describeValue(this.format)} has a ${l} dimension of length ${this.size[i]} ` +
              `(dimension ${i}); expected only S, C and B dimensions, or T/U of length 1`,
          );
        }
        others.push(i);
      }
    }
    const colMajor: number[] =
      layout === "NCDHW" ? [s0, s1, s2, c ?? -1, b ?? -1] : [c ?? -1, s0, s1, s2, b ?? -1];
    const order = colMajor.filter((d) => d >= 0).concat(others);
    const len = (d: number): number => (d < 0 ? 1 : (this.size[d] as number));
    const shape = colMajor.map(len).reverse();
    if (isTrivialPermutation(this.size, order)) {
      return { data: this.data, shape };
    }
    return { data: permute(this.data, this.size, order).data, shape };
  }
}

/**
 * The elements of `X` as a plain typed array (MATLAB's `extractdata`): a copy, as MATLAB's value
 * semantics give, so that changing it changes neither `X` nor (for a {@link WasmArray}) WASM
 * memory. `X.data` is the same elements without a copy.
 *
 * @param X - a dlarray.
 * @returns a new `Float32Array` or `Float64Array`, column-major.
 * @throws ArgumentError when `X` is not a dlarray.
 */
export function extractdata<T extends FloatArray>(X: DlArray<T>): T {
  if (!(X instanceof DlArray)) {
    fail(ArgumentError, "extractdata", `X must be a dlarray, got ${describeValue(X)}`);
  }
  return X.data.slice() as T;
}

/** Refuses arguments given to a method MATLAB calls with none. @internal */
export function checkNoArguments(where: string, args: readonly unknown[]): void {
  if (args.length > 0) {
    fail(
      ArgumentError,
      where,
      `takes no arguments (MATLAB's ${where}(X)), got ${describeValue(args)}; to relabel, use ` +
        "dlarray(X.data, X.size, format)",
    );
  }
}

/**
 * Creates a format-aware, column-major tensor (MATLAB's `dlarray(X, fmt)` with the size given
 * explicitly, since a JS typed array carries none). The data is not copied.
 *
 * ```ts
 * const X = dlarray(new Float32Array(8 * 8 * 8 * 3 * 2), [8, 8, 8, 3, 2], "SSSCB");
 * ```
 *
 * @param data - elements, column-major (first dimension fastest).
 * @param size - dimension lengths; with a format, trailing singleton dimensions may be omitted.
 * @param format - dimension labels: `S` spatial (any number), `C` channel, `B` batch, `T` time
 *   (each at most once), `U` unspecified (any number), in any order; omitted or `""` for an
 *   unformatted array.
 *   A string literal is checked at compile time too (see {@link Format}).
 * @throws {@link ArgumentError} when `data` is not a Float32Array/Float64Array, `size` not an
 *   array of nonnegative integers or `format` not a string; {@link FormatError} when a label is
 *   unknown or repeated (`C`, `B`, `T`), or there are more non-singleton dimensions than labels;
 *   {@link SizeError} when `data.length !== prod(size)`.
 */
export function dlarray<T extends FloatArray, F extends string = "">(
  data: T,
  size: readonly number[],
  format?: Format<F>,
): DlArray<T> {
  return new DlArray(data, size, format);
}

function checkShape5(shape: unknown, where: string, names: string): number[] {
  const sh = checkSize(shape, where, "shape");
  if (sh.length !== 5) {
    fail(
      ArgumentError,
      where,
      `shape must be ${names} (5 nonnegative integers), got ${describeValue(sh)}`,
    );
  }
  return sh;
}

function checkLength(data: FloatArray, shape: number[], where: string): void {
  if (!isFloatArray(data)) {
    fail(
      ArgumentError,
      where,
      `data must be a Float32Array or Float64Array, got ${describeValue(data)}`,
    );
  }
  const numel = shape.reduce((a, b) => a * b, 1);
  if (data.length !== numel) {
    fail(
      SizeError,
      where,
      `data has ${data.length} elements but shape ${describeValue(shape)} needs ${numel}; ` +
        "expected data.length === prod(shape)",
    );
  }
}

/**
 * Wraps a row-major PyTorch/ONNX tensor `[N, C, D, H, W]` without copying: the result is the
 * column-major `"SSSCB"` array of size `[W, H, D, C, N]` over the same `data` object. Note the
 * spatial order: spatial vectors of the layer (filter size, stride, cropping) then apply as
 * `[w, h, d]`.
 *
 * @param data - the row-major elements.
 * @param shape - `[N, C, D, H, W]`.
 * @throws {@link ArgumentError} for a bad `data` or `shape`; {@link SizeError} when
 *   `data.length !== prod(shape)`.
 */
export function fromNCDHW<T extends FloatArray>(data: T, shape: readonly number[]): DlArray<T> {
  const where = "fromNCDHW";
  const [n, c, d, h, w] = checkShape5(shape, where, "[N, C, D, H, W]") as [
    number,
    number,
    number,
    number,
    number,
  ];
  checkLength(data, [n, c, d, h, w], where);
  return new DlArray(data, [w, h, d, c, n], "SSSCB");
}

/**
 * Wraps a row-major channels-last tensor `[N, D, H, W, C]` without copying: the result is the
 * column-major `"CSSSB"` array of size `[C, W, H, D, N]` over the same `data` object.
 *
 * @param data - the row-major elements.
 * @param shape - `[N, D, H, W, C]`.
 * @throws {@link ArgumentError} for a bad `data` or `shape`; {@link SizeError} when
 *   `data.length !== prod(shape)`.
 */
export function fromNDHWC<T extends FloatArray>(data: T, shape: readonly number[]): DlArray<T> {
  const where = "fromNDHWC";
  const [n, d, h, w, c] = checkShape5(shape, where, "[N, D, H, W, C]") as [
    number,
    number,
    number,
    number,
    number,
  ];
  checkLength(data, [n, d, h, w, c], where);
  return new DlArray(data, [c, w, h, d, n], "CSSSB");
}
