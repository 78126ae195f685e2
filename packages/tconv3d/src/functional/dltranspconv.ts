/**
 * MATLAB's functional `dltranspconv` (and its gradients) over labelled tensors.
 *
 * @module
 */

import {
  DlArray,
  describeValue,
  type FloatArray,
  type Format,
  isFloatArray,
  type SameDtype,
} from "../dlarray/index.js";
import { ArgumentError, FormatError, SizeError } from "../errors.js";
import type { Exact, NameValueArgs } from "../typing.js";
import type { ConvSpec } from "./engine.js";
import {
  type BackwardOptions,
  backward,
  forward,
  type Gradients,
  type Learnables,
  type PredictOptions,
  type WasmOutput,
} from "./ops.js";
import { type CroppingInput, optionName, parseCropping, parseVec3 } from "./options.js";
import { checkLive, WasmArray } from "./wasm-array.js";

/** Options of {@link dltranspconv} and {@link dltranspconvBackward}. */
export interface DltranspconvOptions {
  /** Step per spatial axis: a positive integer or 3 of them. Default 1. */
  stride?: number | readonly number[];
  /** `"same"`, a nonnegative integer, `[a, b, c]` or `[[t, l, f], [b, r, bk]]`. Default 0. */
  cropping?: CroppingInput;
  /** Dilation per spatial axis. Default 1. */
  dilationFactor?: number | readonly number[];
  /**
   * Labels for an unformatted `X` (e.g. `"SSSCB"`); an error when `X` is formatted. A literal
   * is checked at compile time (see {@link Format}).
   */
  dataFormat?: string;
}

/**
 * What a `dataFormat` that is not a format is checked against: a type no string is, named so
 * that the compiler's message says what is wrong (`Type '"SSX"' is not assignable to type
 * 'InvalidFormat<"SSX">'`). An object type rather than {@link Format}'s message string, since
 * the options' own `"SSX"` intersected with a string it is not would turn the whole options
 * type into `never`, and the message into one about `undefined`.
 *
 * @typeParam F - the format as written.
 */
export interface InvalidFormat<F extends string> {
  /** The format as written. */
  readonly invalidFormat: F;
  /** What a format is. */
  readonly expected: "labels S, C, B, T, U, with C, B and T at most once";
}

/**
 * Options `O` of {@link dltranspconv} or {@link dltranspconvBackward} as written, checked at
 * compile time: no key outside `Shape` (see {@link Exact}), and a `dataFormat` literal that is a
 * format (see {@link Format}).
 *
 * @typeParam O - the options as written (inferred at the call).
 * @typeParam Shape - the options the function takes.
 */
export type CheckedOptions<O, Shape> = Exact<O, Shape> &
  (O extends Readonly<Record<"dataFormat", infer F extends string>>
    ? Format<F> extends F
      ? unknown
      : {
          /** Not a format: see {@link InvalidFormat}. */
          readonly dataFormat: InvalidFormat<F>;
        }
    : unknown);

/** A bias as `dltranspconv` takes it: a scalar (same for every filter) or `numFilters` values. */
export type BiasInput = number | readonly number[] | Float32Array | Float64Array | DlArray;

/** The options' keys and MATLAB's Name-Value names for them (`out` is an extension). */
const OPTION_NAMES: Readonly<Record<string, string>> = {
  stride: "Stride",
  cropping: "Cropping",
  dilationFactor: "DilationFactor",
  dataFormat: "DataFormat",
  out: "Out",
};

/**
 * MATLAB's Name-Value names of {@link dltranspconv} and the type of each value, for the
 * Name-Value form: `dltranspconv(X, weights, bias, "Stride", 2, "Cropping", "same")`.
 */
export type DltranspconvNameValues = {
  [K in "Stride" | "stride"]: number | readonly number[];
} & { [K in "Cropping" | "cropping"]: CroppingInput } & {
  [K in "DilationFactor" | "dilationFactor"]: number | readonly number[];
} & { [K in "DataFormat" | "dataFormat"]: string };

/**
 * The options as an object with camelCase keys, from an object (keys in any letter case, as
 * MATLAB's names) or from Name-Value pairs (names in any letter case or a unique prefix).
 */
function optionsOf(rest: readonly unknown[], where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (name: string, value: unknown, partial: boolean) => {
    const key = optionName(name, OPTION_NAMES, partial, where);
    if (key in out) {
      throw new ArgumentError(`${where}: option ${OPTION_NAMES[key]} given twice`);
    }
    if (value !== undefined) out[key] = value;
  };
  if (rest.length === 0 || (rest.length === 1 && rest[0] === undefined)) return out;
  if (rest.length === 1 && typeof rest[0] === "object" && rest[0] !== null) {
    for (const [k, v] of Object.entries(rest[0])) put(k, v, false);
    return out;
  }
  if (typeof rest[0] !== "string") {
    throw new ArgumentError(
      `${where}: options must be an object or Name-Value pairs, got ${describeValue(rest.length === 1 ? rest[0] : rest)}`,
    );
  }
  if (rest.length % 2 !== 0) {
    throw new ArgumentError(
      `${where}: Name-Value arguments must come in pairs; ${describeValue(rest[rest.length - 1])} has no value`,
    );
  }
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i];
    if (typeof name !== "string") {
      throw new ArgumentError(
        `${where}: Name-Value argument ${i / 2 + 1} must start with an option name (a string), got ${describeValue(name)}`,
      );
    }
    put(name, rest[i + 1], true);
  }
  return out;
}

function labelled(X: unknown, dataFormat: string | undefined, where: string): DlArray {
  if (!(X instanceof DlArray)) {
    throw new ArgumentError(`${where}: X must be a dlarray, got ${describeValue(X)}`);
  }
  checkLive(X, "X", where);
  if (dataFormat === undefined) return X;
  if (X.format !== "") {
    throw new FormatError(
      `${where}: dataFormat is for unformatted input; X already has format "${X.format}" (got dataFormat ${describeValue(dataFormat)})`,
    );
  }
  return relabel(X, dataFormat);
}

/** The same memory with the labels `format`; a WasmArray stays one (read where it is). */
function relabel(X: DlArray, format: string): DlArray {
  return X instanceof WasmArray ? X.relabelled(format) : new DlArray(X.data, X.size, format);
}

function specOf(weights: unknown, options: DltranspconvOptions, where: string) {
  if (!(weights instanceof DlArray)) {
    throw new ArgumentError(
      `${where}: weights must be a dlarray of size [h, w, d, numFiltersPerGroup, numChannelsPerGroup, numGroups], got ${describeValue(weights)}`,
    );
  }
  checkLive(weights, "weights", where);
  const size = [...weights.size];
  while (size.length > 6 && size[size.length - 1] === 1) size.pop();
  if (size.length < 3 || size.length > 6) {
    throw new SizeError(
      `${where}: weights must have size [h, w, d, numFiltersPerGroup, numChannelsPerGroup, numGroups], got size [${weights.size}]`,
    );
  }
  while (size.length < 6) size.push(1);
  const [h, w, d, fg, cg, g] = size as [number, number, number, number, number, number];
  if (h * w * d * fg * cg * g === 0) {
    throw new SizeError(`${where}: weights must not be empty, got size [${weights.size}]`);
  }
  const o = options;
  const spec: ConvSpec = {
    filterSize: [h, w, d],
    numFilters: fg * g,
    numChannels: cg * g,
    numGroups: g,
    stride: parseVec3(o.stride ?? 1, "Stride", where),
    dilationFactor: parseVec3(o.dilationFactor ?? 1, "DilationFactor", where),
    cropping: parseCropping(o.cropping ?? 0, where),
    outputPadding: [0, 0, 0],
  };
  return { spec, weights: weights.data, weightSize: size };
}

function biasValues(bias: unknown, numFilters: number, where: string): FloatArray | null {
  const expected = `bias must be a scalar or ${numFilters} values (one per filter)`;
  if (typeof bias === "number") {
    return bias === 0 ? null : new Float64Array(numFilters).fill(bias);
  }
  let v: ArrayLike<number>;
  if (bias instanceof DlArray) v = bias.data;
  else if (isFloatArray(bias)) v = bias;
  else if (Array.isArray(bias) && bias.every((b) => typeof b === "number")) v = bias;
  else throw new ArgumentError(`${where}: ${expected}, got ${describeValue(bias)}`);
  if (v.length === 1) return new Float64Array(numFilters).fill(v[0] as number);
  if (v.length !== numFilters) {
    throw new SizeError(`${where}: ${expected}, got ${v.length} values`);
  }
  return Float64Array.from(v);
}

/**
 * Transposed 3-D convolution (MATLAB's `dltranspconv`): `Y = X (*)ᵀ weights + bias`.
 *
 * The output keeps the labels and label order of `X`; spatial lengths become
 * `stride*(n-1) + dilation*(k-1) + 1 - crops` and the `C` dimension `numFilters`. Computes
 * in the precision of `X` (weights and bias are converted), so a `DlArray<Float32Array>` `X`
 * gives a `DlArray<Float32Array>`.
 *
 * @param X - formatted input (three `S`, a `C`, optional `B`/`T`), or unformatted with
 *   `options.dataFormat`.
 * @param weights - `[h, w, d, numFiltersPerGroup, numChannelsPerGroup, numGroups]`, column-major,
 *   of either precision.
 * @param bias - a scalar (0: none) or `numFilters` values.
 * @param options - stride, cropping, dilationFactor, dataFormat; `out`: an array to write the
 *   output into instead of a new one, as for `transposedConv3dLayer`'s `predict`, or `"wasm"`
 *   for a new {@link WasmArray}. Checked at compile time (see {@link CheckedOptions}).
 * @returns the output (`out` when given).
 * @throws Tconv3dError naming the bad argument (ArgumentError, FormatError, SizeError; see
 *   `transposedConv3dLayer`'s `predict`); nothing is computed then.
 */
export function dltranspconv<
  T extends FloatArray,
  const O extends DltranspconvOptions & PredictOptions<T> & WasmOutput,
>(
  X: DlArray<T>,
  weights: DlArray,
  bias: BiasInput,
  options: CheckedOptions<O, DltranspconvOptions & PredictOptions<T>>,
): WasmArray<SameDtype<T>>;
export function dltranspconv<
  T extends FloatArray,
  const O extends DltranspconvOptions & PredictOptions<T>,
>(
  X: DlArray<T>,
  weights: DlArray,
  bias: BiasInput,
  options?: CheckedOptions<O, DltranspconvOptions & PredictOptions<T>>,
): DlArray<SameDtype<T>>;
/** The same, its options as MATLAB's Name-Value pairs (names checked at compile time). */
export function dltranspconv<T extends FloatArray, const A extends readonly unknown[]>(
  X: DlArray<T>,
  weights: DlArray,
  bias: BiasInput,
  ...nameValues: NameValueArgs<DltranspconvNameValues, A>
): DlArray<SameDtype<T>>;
export function dltranspconv(
  X: DlArray,
  weights: DlArray,
  bias: BiasInput,
  ...rest: unknown[]
): DlArray {
  const where = "dltranspconv";
  const options = optionsOf(rest, where) as DltranspconvOptions & PredictOptions;
  const { spec, weights: w, weightSize } = specOf(weights, options, where);
  const input = labelled(X, options.dataFormat, where);
  const p: Learnables = {
    weights: w,
    weightSize,
    bias: biasValues(bias, spec.numFilters, where),
    version: 0,
  };
  return forward(input, spec, p, null, where, options.out);
}

/**
 * Gradients of a loss through {@link dltranspconv}, given `dLdY` (same size and labels as the
 * output). `dLdW` has the size of `weights` (padded to 6 dimensions); `dLdB` is `[1, 1, 1,
 * numFilters]`.
 *
 * @param X - the forward input.
 * @param weights - the forward weights.
 * @param dLdY - gradient of the loss with respect to the output.
 * @param options - as for {@link dltranspconv}, but `out` is `{ dLdX?, dLdW?, dLdB? }` as for
 *   `transposedConv3dLayer`'s `backward`, or `"wasm"` for new {@link WasmArray}s.
 * @returns `{ dLdX, dLdW, dLdB }`, each in the precision of `X` (a `dLdY` of the other is
 *   converted, as the weights are).
 * @throws Tconv3dError naming the bad argument, as {@link dltranspconv} does, and for a `dLdY`
 *   of another size or format than the output's.
 */
export function dltranspconvBackward<
  T extends FloatArray,
  const O extends DltranspconvOptions & BackwardOptions<T> & WasmOutput,
>(
  X: DlArray<T>,
  weights: DlArray,
  dLdY: DlArray,
  options: CheckedOptions<O, DltranspconvOptions & BackwardOptions<T>>,
): Gradients<SameDtype<T>, WasmArray<SameDtype<T>>>;
export function dltranspconvBackward<
  T extends FloatArray,
  const O extends DltranspconvOptions & BackwardOptions<T>,
>(
  X: DlArray<T>,
  weights: DlArray,
  dLdY: DlArray,
  options?: CheckedOptions<O, DltranspconvOptions & BackwardOptions<T>>,
): Gradients<SameDtype<T>>;
/** The same, its options as MATLAB's Name-Value pairs (names checked at compile time). */
export function dltranspconvBackward<T extends FloatArray, const A extends readonly unknown[]>(
  X: DlArray<T>,
  weights: DlArray,
  dLdY: DlArray,
  ...nameValues: NameValueArgs<DltranspconvNameValues, A>
): Gradients<SameDtype<T>>;
export function dltranspconvBackward(
  X: DlArray,
  weights: DlArray,
  dLdY: DlArray,
  ...rest: unknown[]
): Gradients {
  const where = "dltranspconvBackward";
  const options = optionsOf(rest, where) as DltranspconvOptions & BackwardOptions;
  const { spec, weights: w, weightSize } = specOf(weights, options, where);
  const input = labelled(X, options.dataFormat, where);
  checkLive(dLdY, "dLdY", where);
  const dy =
    options.dataFormat !== undefined && dLdY instanceof DlArray && dLdY.format === ""
      ? relabel(dLdY, options.dataFormat)
      : dLdY;
  const p: Learnables = { weights: w, weightSize, bias: null, version: 0 };
  return backward(input, spec, p, dy, null, where, options.out);
}
