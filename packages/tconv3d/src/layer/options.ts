/**
 * Parsing and validation of `transposedConv3dLayer(filterSize, numFilters, ...)` arguments.
 *
 * Options come either as one object with camelCase keys (`{ stride: 2, cropping: "same" }`) or,
 * as a MATLAB habit, as Name-Value pairs with MATLAB's names (`"Stride", [2 2 2], "Cropping",
 * "same"`). Names are matched case-insensitively in both forms. In Name-Value form a repeated
 * name takes its last value (as MATLAB's `inputParser`); an object naming one option twice in
 * different letter cases is an error. An option whose value is `undefined` counts as absent.
 *
 * Spatial vectors (`FilterSize`, `Stride`, `DilationFactor`, the cropping rows) follow the order in
 * which `S` labels appear in the input: `[h, w, d]` for MATLAB's `"SSSCB"` `[H W D C N]` arrays,
 * `[w, h, d]` for a PyTorch tensor wrapped with `fromNCDHW`.
 *
 * MATLAB writes a manual cropping as the 2-by-3 matrix `[t l f; b r bk]`; here that is the nested
 * array `[[t, l, f], [b, r, bk]]`. A flat 6-vector is rejected rather than guessed at.
 *
 * Every error names the argument (MATLAB's PascalCase name), the value received and what was
 * expected: a wrong type or value, or an unknown option, throws `ArgumentError`; weights or a
 * bias of the wrong size throw `SizeError`.
 *
 * At compile time the options object is checked against {@link TransposedConv3dOptions} (no
 * unknown key, see `Exact`) and Name-Value pairs against {@link TransposedConv3dNameValues}.
 *
 * @module
 */

import { describeValue } from "../dlarray/describe.js";
import { DlArray, type FloatArray, isFloatArray } from "../dlarray/dlarray.js";
import { SizeError } from "../errors.js";
import { outputPaddingOverflow, weightSize } from "../functional/filter.js";
import {
  argumentError,
  type CroppingInput,
  type CroppingSpec,
  integers3,
  isIntegerFrom,
  limitNote,
  optionName,
  parseCropping,
  parseVec3,
  type Vec3,
} from "../functional/options.js";
import {
  BIAS_INITIALIZERS,
  type BiasInitializerName,
  type InitializerFunction,
  WEIGHTS_INITIALIZERS,
  type WeightsInitializerName,
} from "./initializers.js";

/** A learnable parameter as a caller may pass it: a tensor or its raw column-major values. */
export type ParameterInput = DlArray | Float32Array | Float64Array;

/** The options object of `transposedConv3dLayer` (camelCase of MATLAB's Name-Value names). */
export interface TransposedConv3dOptions {
  /** Step per axis: a positive integer or 3 of them. Default `[1, 1, 1]`. */
  stride?: number | readonly number[];
  /**
   * `"same"`, a nonnegative integer (all six faces), `[a, b, c]` (symmetric per axis) or
   * `[[t, l, f], [b, r, bk]]`. Default `0`.
   */
  cropping?: CroppingInput;
  /** `"auto"` (default) or the number of input channels. */
  numChannels?: "auto" | number;
  /** `"glorot"` (default), `"he"`, `"narrow-normal"`, `"zeros"`, `"ones"` or a function. */
  weightsInitializer?: WeightsInitializerName | InitializerFunction;
  /** `"zeros"` (default), `"narrow-normal"`, `"ones"` or a function. */
  biasInitializer?: BiasInitializerName | InitializerFunction;
  /**
   * Initial weights, `[h, w, d, numFilters, numChannels]` (or, with groups,
   * `[h, w, d, numFilters/g, numChannels/g, g]`), column-major. A raw typed array has its size
   * inferred from `filterSize`, `numFilters` and `numGroups`. Copied.
   */
  weights?: ParameterInput | null;
  /** Initial bias, `numFilters` values (stored as size `[1, 1, 1, numFilters]`). Copied. */
  bias?: ParameterInput | null;
  /** Learning-rate factor of the weights, nonnegative. Default 1. */
  weightLearnRateFactor?: number;
  /** Learning-rate factor of the bias, nonnegative. Default 1. */
  biasLearnRateFactor?: number;
  /** L2 factor of the weights, nonnegative. Default 1. */
  weightL2Factor?: number;
  /** L2 factor of the bias, nonnegative. Default 0. */
  biasL2Factor?: number;
  /** Layer name. Default `""`. */
  name?: string;
  /** Extension (as `dltranspconv`, PyTorch): dilation per axis. Default `[1, 1, 1]`. */
  dilationFactor?: number | readonly number[];
  /** Extension (as `dltranspconv`, PyTorch): number of channel groups. Default 1. */
  numGroups?: number;
  /**
   * Extension (PyTorch's `output_padding`, ONNX's `output_padding`): samples added at the end
   * (bottom/right/back) of each axis, subtracted from the end crop. A nonnegative integer or 3 of
   * them, each less than the stride or the dilation of its axis (PyTorch's rule); only with
   * manual cropping. Default `[0, 0, 0]`.
   */
  outputPadding?: number | readonly number[];
}

/** The normalized, frozen result of {@link parseLayerArgs}. */
export interface LayerArgs {
  readonly filterSize: Vec3;
  readonly numFilters: number;
  readonly stride: Vec3;
  readonly dilationFactor: Vec3;
  readonly cropping: CroppingSpec;
  /** Samples added at the end of each axis (subtracted from the end crop); zeros by default. */
  readonly outputPadding: Vec3;
  /** `"auto"` until known; a number when given or implied by `weights`. */
  readonly numChannels: number | "auto";
  readonly numGroups: number;
  /** Lower-case built-in name or the caller's function. */
  readonly weightsInitializer: WeightsInitializerName | InitializerFunction;
  readonly biasInitializer: BiasInitializerName | InitializerFunction;
  /**
   * A private copy of the given weights, unformatted, of size `[h, w, d, F, C]` (`numGroups` 1)
   * or `[h, w, d, F/g, C/g, g]`; `null` when not given.
   */
  readonly weights: DlArray | null;
  /** A private copy of the given bias, unformatted, size `[1, 1, 1, F]`; `null` when not given. */
  readonly bias: DlArray | null;
  readonly weightLearnRateFactor: number;
  readonly biasLearnRateFactor: number;
  readonly weightL2Factor: number;
  readonly biasL2Factor: number;
  readonly name: string;
}

/**
 * The Name-Value names of `transposedConv3dLayer`, each mapped to the type of its value: every
 * option's camelCase name and MATLAB's PascalCase one (`"stride"` and `"Stride"`, ...). Only
 * these two spellings compile; at run time names are matched in any letter case, as in MATLAB.
 * A value `undefined` counts as absent, as in the options object.
 */
export type TransposedConv3dNameValues = {
  [K in keyof TransposedConv3dOptions as K | Capitalize<K>]-?:
    | TransposedConv3dOptions[K]
    | undefined;
};

/** MATLAB's Name-Value names, keyed by the camelCase option name. */
export const OPTION_NAMES: Readonly<{ [K in keyof TransposedConv3dOptions]-?: Capitalize<K> }> =
  Object.freeze({
    stride: "Stride",
    cropping: "Cropping",
    numChannels: "NumChannels",
    weightsInitializer: "WeightsInitializer",
    biasInitializer: "BiasInitializer",
    weights: "Weights",
    bias: "Bias",
    weightLearnRateFactor: "WeightLearnRateFactor",
    biasLearnRateFactor: "BiasLearnRateFactor",
    weightL2Factor: "WeightL2Factor",
    biasL2Factor: "BiasL2Factor",
    name: "Name",
    dilationFactor: "DilationFactor",
    numGroups: "NumGroups",
    outputPadding: "OutputPadding",
  });

type OptionKey = keyof TransposedConv3dOptions;

const WHERE = "transposedConv3dLayer";

function sizeError(where: string, msg: string): never {
  throw new SizeError(`${where}: ${msg}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || ArrayBuffer.isView(v)) {
    return false;
  }
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function parsePositiveInt(value: unknown, argName: string, where: string): number {
  const expected = `${argName} must be a positive integer`;
  if (typeof value !== "number") argumentError(where, `${expected}, got ${describeValue(value)}`);
  if (!isIntegerFrom(value, 1)) {
    argumentError(where, `${expected}${limitNote(value)}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Parses a learn-rate or L2 factor: a nonnegative finite number (`-0` becomes `0`).
 *
 * @param value - the value received.
 * @param argName - the MATLAB name for messages, e.g. `"WeightL2Factor"`.
 * @param where - the function name for messages.
 * @returns the factor.
 * @throws ArgumentError for a non-number, or a negative, NaN or infinite value.
 */
export function parseFactor(value: unknown, argName: string, where: string = WHERE): number {
  const expected = `${argName} must be a nonnegative finite number`;
  if (typeof value !== "number") argumentError(where, `${expected}, got ${describeValue(value)}`);
  if (!Number.isFinite(value) || value < 0) {
    argumentError(where, `${expected}, got ${describeValue(value)}`);
  }
  return value === 0 ? 0 : value; // -0 -> 0
}

/**
 * Parses `WeightsInitializer` / `BiasInitializer`: a built-in name (any letter case) or a function.
 *
 * @param value - the value received.
 * @param argName - `"WeightsInitializer"` or `"BiasInitializer"`, for messages.
 * @param names - the built-in names allowed.
 * @param where - the function name for messages.
 * @returns the lower-case name or the function.
 * @throws ArgumentError for another type or an unknown name.
 */
export function parseInitializer<N extends string>(
  value: unknown,
  argName: string,
  names: readonly N[],
  where: string,
): N | InitializerFunction {
  const expected = `${argName} must be one of ${names.map((n) => `"${n}"`).join(", ")} or a function`;
  if (typeof value === "function") return value as InitializerFunction;
  if (typeof value !== "string") argumentError(where, `${expected}, got ${describeValue(value)}`);
  const lower = value.toLowerCase();
  const hit = names.find((n) => n === lower);
  if (hit === undefined) argumentError(where, `${expected}, got ${describeValue(value)}`);
  return hit;
}

function parameterData(value: unknown, argName: string, where: string): FloatArray | null {
  if (value === null) return null;
  if (value instanceof DlArray) return value.numel === 0 ? null : value.data;
  if (isFloatArray(value)) return value.length === 0 ? null : value;
  return argumentError(
    where,
    `${argName} must be a DlArray, Float32Array or Float64Array (or null), got ` +
      describeValue(value),
  );
}

/** Collects the options from an object or Name-Value pairs into camelCase keys. */
function collectOptions(rest: readonly unknown[], where: string): Map<OptionKey, unknown> {
  const out = new Map<OptionKey, unknown>();
  const lookup = (name: string, partial = false): OptionKey =>
    optionName(name, OPTION_NAMES, partial, where) as OptionKey;
  if (rest.length === 0) return out;
  if (rest.length === 1 && (rest[0] === undefined || isPlainObject(rest[0]))) {
    const obj = (rest[0] ?? {}) as Record<string, unknown>;
    const spelled = new Map<OptionKey, string>();
    for (const name of Object.keys(obj)) {
      const key = lookup(name);
      const prev = spelled.get(key);
      if (prev !== undefined) {
        argumentError(where, `option ${OPTION_NAMES[key]} given twice, as "${prev}" and "${name}"`);
      }
      spelled.set(key, name);
      if (obj[name] !== undefined) out.set(key, obj[name]);
    }
    return out;
  }
  if (typeof rest[0] !== "string") {
    argumentError(
      where,
      "expected an options object or Name-Value pairs after NumFilters, got " +
        describeValue(rest.length === 1 ? rest[0] : rest),
    );
  }
  if (rest.length % 2 !== 0) {
    argumentError(
      where,
      `Name-Value arguments must come in pairs; ${describeValue(rest[rest.length - 1])} has no ` +
        `value (got ${rest.length} arguments after NumFilters)`,
    );
  }
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i];
    if (typeof name !== "string") {
      argumentError(
        where,
        `Name-Value argument ${i / 2 + 1} must start with an option name (a string), got ` +
          describeValue(name),
      );
    }
    const key = lookup(name, true);
    if (rest[i + 1] === undefined) out.delete(key);
    else out.set(key, rest[i + 1]);
  }
  return out;
}

/**
 * Parses and validates `transposedConv3dLayer(filterSize, numFilters, ...rest)`.
 *
 * ```ts
 * parseLayerArgs(11, 32, { stride: [4, 4, 2], name: "up1" });
 * parseLayerArgs(11, 32, "Stride", [4, 4, 2], "Cropping", "same");
 * ```
 *
 * Checks made here (everything that does not depend on the input): types and ranges of every
 * option; `NumFilters` and a numeric `NumChannels` divisible by `NumGroups`; the size of given
 * `Weights` against `FilterSize`, `NumFilters`, `NumChannels` and `NumGroups` (a raw typed array
 * gets its channel count inferred from its length); `Bias` holding `NumFilters` values. Given
 * weights fix `numChannels`; 6-D weights `[h, w, d, F/g, C/g, g]` fix `numGroups` when it is not
 * given. Weights and bias are copied (MATLAB's value semantics).
 *
 * @param filterSize - `[h, w, d]` positive integers, or one for all three axes.
 * @param numFilters - positive integer.
 * @param rest - nothing, one {@link TransposedConv3dOptions} object, or MATLAB Name-Value pairs.
 * @returns the normalized, frozen arguments.
 * @throws ArgumentError for a wrong type or value, an unknown option, or options that
 *   contradict each other; SizeError for `Weights` or `Bias` of the wrong size.
 */
export function parseLayerArgs(
  filterSize: number | readonly number[],
  numFilters: number,
  ...rest: unknown[]
): LayerArgs {
  const where = WHERE;
  const fs = parseVec3(filterSize, "FilterSize", where);
  const nf = parsePositiveInt(numFilters, "NumFilters", where);
  const opts = collectOptions(rest, where);
  const get = (k: OptionKey): unknown => opts.get(k);
  const has = (k: OptionKey): boolean => opts.has(k);

  const stride = has("stride") ? parseVec3(get("stride"), "Stride", where) : vec3(1);
  const dilationFactor = has("dilationFactor")
    ? parseVec3(get("dilationFactor"), "DilationFactor", where)
    : vec3(1);
  const cropping = has("cropping")
    ? parseCropping(get("cropping"), where)
    : parseCropping(0, where);
  const outputPadding = has("outputPadding")
    ? parseOutputPadding(get("outputPadding"), stride, dilationFactor, cropping, where)
    : vec3(0);

  let numChannels: number | "auto" = "auto";
  if (has("numChannels")) {
    const v = get("numChannels");
    if (typeof v === "string") {
      if (v.toLowerCase() !== "auto") {
        argumentError(
          where,
          `NumChannels must be "auto" or a positive integer, got ${describeValue(v)}`,
        );
      }
    } else if (typeof v === "number") {
      if (!isIntegerFrom(v, 1)) {
        argumentError(
          where,
          `NumChannels must be "auto" or a positive integer${limitNote(v)}, got ${describeValue(v)}`,
        );
      }
      numChannels = v;
    } else {
      argumentError(
        where,
        `NumChannels must be "auto" or a positive integer, got ${describeValue(v)}`,
      );
    }
  }

  let numGroups = has("numGroups") ? parsePositiveInt(get("numGroups"), "NumGroups", where) : 1;
  const checkGroups = (): void => {
    if (nf % numGroups !== 0) {
      argumentError(
        where,
        `NumFilters must be divisible by NumGroups, got NumFilters ${nf} and NumGroups ${numGroups}`,
      );
    }
    if (numChannels !== "auto" && numChannels % numGroups !== 0) {
      argumentError(
        where,
        `NumChannels must be divisible by NumGroups, got NumChannels ${numChannels} and ` +
          `NumGroups ${numGroups}`,
      );
    }
  };
  if (has("numGroups")) checkGroups();

  const weightsInitializer = has("weightsInitializer")
    ? parseInitializer(get("weightsInitializer"), "WeightsInitializer", WEIGHTS_INITIALIZERS, where)
    : "glorot";
  const biasInitializer = has("biasInitializer")
    ? parseInitializer(get("biasInitializer"), "BiasInitializer", BIAS_INITIALIZERS, where)
    : "zeros";

  const factor = (k: OptionKey, name: string, dflt: number): number =>
    has(k) ? parseFactor(get(k), name, where) : dflt;
  const weightLearnRateFactor = factor("weightLearnRateFactor", "WeightLearnRateFactor", 1);
  const biasLearnRateFactor = factor("biasLearnRateFactor", "BiasLearnRateFactor", 1);
  const weightL2Factor = factor("weightL2Factor", "WeightL2Factor", 1);
  const biasL2Factor = factor("biasL2Factor", "BiasL2Factor", 0);

  let name = "";
  if (has("name")) {
    const v = get("name");
    if (typeof v !== "string")
      argumentError(where, `Name must be a string, got ${describeValue(v)}`);
    name = v;
  }

  // Weights: check the size, infer numChannels (and numGroups from 6-D weights).
  let weights: DlArray | null = null;
  const wIn = has("weights") ? get("weights") : null;
  const wData = parameterData(wIn, "Weights", where);
  if (wData !== null) {
    const k = fs[0] * fs[1] * fs[2];
    if (wIn instanceof DlArray) {
      const wSize = [...wIn.size];
      while (wSize.length > 6 && wSize[wSize.length - 1] === 1) wSize.pop();
      while (wSize.length < 5) wSize.push(1);
      if (wSize.length === 6 && !has("numGroups")) numGroups = wSize[5] as number;
      const g = numGroups;
      const [h, w, d, f, c, gg = 1] = wSize as [number, number, number, number, number, number?];
      const ok =
        wSize.length <= 6 &&
        h === fs[0] &&
        w === fs[1] &&
        d === fs[2] &&
        gg === g &&
        f * g === nf &&
        c >= 1 &&
        (numChannels === "auto" || c * g === numChannels);
      if (!ok) {
        const C = numChannels === "auto" ? "NumChannels" : String(numChannels);
        const want =
          g === 1
            ? `[${fs.join(",")},${nf},${C}] ([h, w, d, NumFilters, NumChannels])`
            : `[${fs.join(",")},${nf / g},${numChannels === "auto" ? "NumChannels/NumGroups" : Number(C) / g},${g}] ` +
              "([h, w, d, NumFilters/NumGroups, NumChannels/NumGroups, NumGroups])";
        sizeError(where, `Weights must have size ${want}, got size ${describeValue(wIn.size)}`);
      }
      numChannels = c * g;
    } else {
      // A raw typed array holds [h, w, d, F/g, C/g, g]: prod(FilterSize) * F * C/g values.
      const cPerGroup = wData.length / (k * nf);
      const ok =
        Number.isInteger(cPerGroup) &&
        (numChannels === "auto" || cPerGroup * numGroups === numChannels);
      if (!ok) {
        const expected =
          numChannels === "auto"
            ? `a multiple of prod(FilterSize) * NumFilters = ${k * nf} ` +
              "(prod(FilterSize) * NumFilters * NumChannels/NumGroups values)"
            : `prod(FilterSize) * NumFilters * NumChannels/NumGroups = ` +
              `${k} * ${nf} * ${numChannels}/${numGroups} = ${(k * nf * numChannels) / numGroups}`;
        sizeError(where, `Weights has ${wData.length} values; expected ${expected}`);
      }
      numChannels = cPerGroup * numGroups;
    }
    weights = new DlArray(wData.slice(), weightSize(fs, nf, numChannels, numGroups));
  }
  checkGroups();

  let bias: DlArray | null = null;
  const bIn = has("bias") ? get("bias") : null;
  const bData = parameterData(bIn, "Bias", where);
  if (bData !== null) {
    if (bData.length !== nf) {
      sizeError(
        where,
        `Bias must hold NumFilters = ${nf} values (size [1,1,1,${nf}]), got ` +
          (bIn instanceof DlArray ? `size ${describeValue(bIn.size)}` : describeValue(bIn)),
      );
    }
    bias = new DlArray(bData.slice(), [1, 1, 1, nf]);
  }

  return Object.freeze({
    filterSize: fs,
    numFilters: nf,
    stride,
    dilationFactor,
    cropping,
    outputPadding,
    numChannels,
    numGroups,
    weightsInitializer,
    biasInitializer,
    weights,
    bias,
    weightLearnRateFactor,
    biasLearnRateFactor,
    weightL2Factor,
    biasL2Factor,
    name,
  });
}

/**
 * Parses `OutputPadding` (PyTorch's `output_padding`): a nonnegative integer or 3 of them, each
 * less than the stride or the dilation of its axis, and only with manual cropping.
 *
 * @param value - the value received.
 * @param stride - the parsed stride.
 * @param dilationFactor - the parsed dilation.
 * @param cropping - the parsed cropping.
 * @param where - the function name for messages.
 * @returns a frozen `[a, b, c]`.
 * @throws ArgumentError for a value of the wrong type or length, a negative or non-integer
 *   value, a value not below the stride or dilation, or nonzero padding with `"same"` cropping.
 */
export function parseOutputPadding(
  value: unknown,
  stride: Vec3,
  dilationFactor: Vec3,
  cropping: CroppingSpec,
  where: string = WHERE,
): Vec3 {
  const expected =
    "OutputPadding must be a nonnegative integer or a vector of 3 nonnegative integers";
  const op = integers3(value, 0, expected, where);
  const a = outputPaddingOverflow(op, stride, dilationFactor);
  if (a >= 0) {
    argumentError(
      where,
      `OutputPadding along spatial dimension ${a + 1} is ${op[a]}; expected less than its ` +
        `Stride (${stride[a]}) or its DilationFactor (${dilationFactor[a]}), as PyTorch's ` +
        `output_padding (got ${describeValue(value)})`,
    );
  }
  if (cropping.mode === "same" && op.some((o) => o !== 0)) {
    argumentError(
      where,
      `OutputPadding ${describeValue(value)} needs manual cropping; Cropping "same" already fixes ` +
        "the output length (n*stride)",
    );
  }
  return op;
}

function vec3(n: number): Vec3 {
  return Object.freeze([n, n, n] as const);
}
