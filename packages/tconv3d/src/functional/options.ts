/**
 * The options `dltranspconv` and the layer share: option names matched as MATLAB matches them,
 * the integer 3-vectors (`Stride`, `DilationFactor`, `FilterSize`) and `Cropping`.
 *
 * Spatial vectors follow the order in which `S` labels appear in the input: `[h, w, d]` for
 * MATLAB's `"SSSCB"` `[H W D C N]` arrays, `[w, h, d]` for a PyTorch tensor wrapped with
 * `fromNCDHW`. Every error names the argument (MATLAB's PascalCase name) and the function
 * (`where`), the value received and what was expected.
 *
 * @module
 */

import { describeValue } from "../dlarray/describe.js";
import { ArgumentError } from "../errors.js";

/** Three lengths, one per convolution axis, in the order of the input's `S` labels. */
export type Vec3 = readonly [number, number, number];

/** Normalized cropping: `"same"`, or per-axis crops at the begin and end of each axis. */
export type CroppingSpec =
  | { readonly mode: "same" }
  | {
      readonly mode: "manual";
      /** Crops at the start of each axis: `[t, l, f]` (top, left, front). */
      readonly begin: Vec3;
      /** Crops at the end of each axis: `[b, r, bk]` (bottom, right, back). */
      readonly end: Vec3;
    };

/** What a caller may pass as `Cropping`. */
export type CroppingInput =
  | "same"
  | number
  | readonly [number, number, number]
  | readonly [readonly [number, number, number], readonly [number, number, number]];

/**
 * The option `name` stands for among `names` (camelCase key → MATLAB's name): any letter case,
 * and with `partial` (Name-Value pairs, as MATLAB's parser) any unique prefix; an exact name
 * wins over longer names it begins (`"Weights"` before `"WeightsInitializer"`).
 *
 * @throws ArgumentError for an unknown or ambiguous name, listing the names.
 * @internal
 */
export function optionName(
  name: string,
  names: Readonly<Record<string, string>>,
  partial: boolean,
  where: string,
): string {
  const lower = name.toLowerCase();
  const keys = Object.keys(names);
  const exact = keys.find((k) => k.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const known = Object.values(names).join(", ");
  const matches =
    partial && lower !== "" ? keys.filter((k) => k.toLowerCase().startsWith(lower)) : [];
  if (matches.length === 1) return matches[0] as string;
  if (matches.length > 1) {
    argumentError(
      where,
      `option name ${describeValue(name)} is ambiguous: it begins ${matches.map((k) => names[k]).join(", ")}`,
    );
  }
  return argumentError(where, `unknown option ${describeValue(name)}; expected one of ${known}`);
}

/** Throws an `ArgumentError` whose message starts with `where`. @internal */
export function argumentError(where: string, msg: string): never {
  throw new ArgumentError(`${where}: ${msg}`);
}

/** `v` is an array or a typed array (a list of values to check one by one). @internal */
export function isNumberList(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/**
 * The largest value of any integer parameter (sizes, strides, dilations, crops, padding,
 * groups, channels, filters): the core holds them in 32-bit integers, crops signed. Larger
 * values are refused here, before anything is allocated, rather than wrapped around.
 */
export const MAX_INTEGER = 2 ** 31 - 1;

/** `x` is an integer in `min..MAX_INTEGER`. @internal */
export function isIntegerFrom(x: unknown, min: number): x is number {
  return Number.isSafeInteger(x) && (x as number) >= min && (x as number) <= MAX_INTEGER;
}

/** The end of a message about an integer: the limit, where the value passes it. @internal */
export function limitNote(value: unknown): string {
  const big = (x: unknown) => typeof x === "number" && x > MAX_INTEGER;
  const over = big(value) || (isNumberList(value) && Array.from(value).flat().some(big));
  return over ? ` (each at most ${MAX_INTEGER}, the core's 32-bit limit)` : "";
}

/**
 * Parses a positive-integer 3-vector given as a scalar or 3 values (a 1-element array counts as
 * a scalar, as in MATLAB).
 *
 * @param value - the value received.
 * @param argName - the MATLAB name for messages, e.g. `"Stride"`.
 * @param where - the function name for messages.
 * @returns a frozen `[a, b, c]`.
 * @throws ArgumentError when not a positive integer or 3 of them.
 */
export function parseVec3(value: unknown, argName: string, where: string): Vec3 {
  const expected = `${argName} must be a positive integer or a vector of 3 positive integers`;
  return integers3(value, 1, expected, where);
}

/**
 * One integer `>= min` for all three axes, or three of them; `expected` heads the messages.
 * @internal
 */
export function integers3(value: unknown, min: number, expected: string, where: string): Vec3 {
  let v: unknown[];
  if (typeof value === "number") v = [value, value, value];
  else if (isNumberList(value)) {
    v = Array.from(value);
    if (v.length === 1) v = [v[0], v[0], v[0]];
  } else argumentError(where, `${expected}, got ${describeValue(value)}`);
  if (v.some((x) => typeof x !== "number")) {
    argumentError(where, `${expected}, got ${describeValue(value)}`);
  }
  if (v.length !== 3 || v.some((x) => !isIntegerFrom(x, min))) {
    argumentError(where, `${expected}${limitNote(value)}, got ${describeValue(value)}`);
  }
  return Object.freeze(v) as unknown as Vec3;
}

/**
 * Parses `Cropping`: `"same"` (any letter case), a nonnegative integer, a 3-vector (symmetric:
 * `[a, b, c]` crops `a` from top and bottom, `b` left and right, `c` front and back) or
 * `[[t, l, f], [b, r, bk]]` (MATLAB's 2-by-3 matrix as nested arrays).
 *
 * @param value - the value received.
 * @param where - the function name for messages.
 * @returns the normalized, frozen cropping.
 * @throws ArgumentError for a value of the wrong type or shape, or a negative or non-integer
 *   crop (a flat 6-vector gets a hint about the nested form).
 */
export function parseCropping(value: unknown, where: string): CroppingSpec {
  const expected =
    'Cropping must be "same", a nonnegative integer, a vector of 3 nonnegative integers ' +
    `[a, b, c] (symmetric), or [[t, l, f], [b, r, bk]]${limitNote(value)}`;
  const got = `got ${describeValue(value)}`;
  const isCrop = (x: unknown): boolean => isIntegerFrom(x, 0);
  const freeze = (begin: number[], end: number[]): CroppingSpec =>
    Object.freeze({
      mode: "manual" as const,
      begin: Object.freeze(begin) as unknown as Vec3,
      end: Object.freeze(end) as unknown as Vec3,
    });

  if (typeof value === "string") {
    if (value.toLowerCase() === "same") return Object.freeze({ mode: "same" as const });
    argumentError(where, `${expected}, ${got}`);
  }
  if (typeof value === "number") {
    if (!isCrop(value)) argumentError(where, `${expected}, ${got}`);
    return freeze([value, value, value], [value, value, value]);
  }
  if (!isNumberList(value)) argumentError(where, `${expected}, ${got}`);
  const v = Array.from(value);
  if (v.length === 2 && v.every(isNumberList)) {
    const rows = v.map((r) => Array.from(r as ArrayLike<unknown>));
    if (rows.some((r) => r.some((x) => typeof x !== "number"))) {
      argumentError(where, `${expected}, ${got}`);
    }
    if (rows.some((r) => r.length !== 3 || r.some((x) => !isCrop(x)))) {
      argumentError(where, `${expected}, ${got}`);
    }
    return freeze(rows[0] as number[], rows[1] as number[]);
  }
  if (v.some((x) => typeof x !== "number")) argumentError(where, `${expected}, ${got}`);
  if (v.length === 6) {
    argumentError(
      where,
      `${expected}, ${got}; MATLAB's 2-by-3 matrix [t l f; b r bk] is written ` +
        "[[t, l, f], [b, r, bk]] here",
    );
  }
  if (v.length === 1 && isCrop(v[0])) {
    const c = v[0] as number;
    return freeze([c, c, c], [c, c, c]);
  }
  if (v.length !== 3 || v.some((x) => !isCrop(x))) argumentError(where, `${expected}, ${got}`);
  return freeze(v as number[], [...(v as number[])]);
}
