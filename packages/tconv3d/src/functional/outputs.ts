/**
 * Caller-provided output arrays (the `out` options): checked before any work, so that a bad
 * one fails with a clear error and a good one is written in place of a new array.
 *
 * @module
 * @internal
 */

import { DlArray, type Dtype, describeValue, type FloatArray } from "../dlarray/index.js";
import { ArgumentError, FormatError, SizeError } from "../errors.js";
import { checkLive, detachable, WasmArray } from "./wasm-array.js";

/** What an output array must be: its size, labels and precision. */
export interface OutputSpec {
  readonly size: readonly number[];
  readonly format: string;
  readonly dtype: Dtype;
}

/** Whether two typed arrays share any bytes. */
function overlaps(a: FloatArray, b: FloatArray): boolean {
  return (
    a.buffer === b.buffer &&
    a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength
  );
}

/** Whether two sizes are equal, entry by entry. */
export function sameSize(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * `out` when it is a dlarray matching `spec` that shares no memory with any of `avoid` (the
 * weights, the other outputs); throws naming `name` otherwise. `undefined` stays `undefined`
 * (a new JS array is made); `"wasm"` becomes a new WasmArray matching `spec`.
 *
 * @throws ArgumentError for something other than a dlarray, another dtype, or shared memory;
 *   FormatError for another format; SizeError for another size; MemoryError when a `"wasm"`
 *   output does not fit in WASM memory.
 */
export function checkOutput(
  out: unknown,
  name: string,
  spec: OutputSpec,
  avoid: readonly { readonly what: string; readonly data: FloatArray | null | undefined }[],
  where: string,
): DlArray | undefined {
  if (out === undefined) return undefined;
  if (out === "wasm") return WasmArray.make(spec.size, spec.format, spec.dtype);
  checkLive(out, name, where);
  const want = `"wasm" or a dlarray of size [${spec.size}], format "${spec.format}" and dtype "${spec.dtype}"`;
  if (!(out instanceof DlArray)) {
    throw new ArgumentError(`${where}: ${name} must be ${want}, got ${describeValue(out)}`);
  }
  // One message for any mismatch; the class says which part of it is wrong (the size first).
  const Mismatch = !sameSize(out.size, spec.size)
    ? SizeError
    : out.format !== spec.format
      ? FormatError
      : out.dtype !== spec.dtype
        ? ArgumentError
        : null;
  if (Mismatch !== null) {
    throw new Mismatch(
      `${where}: ${name} must be ${want}, got size [${out.size}], format "${out.format}" and dtype "${out.dtype}"`,
    );
  }
  if (!(out instanceof WasmArray) && detachable(out.data)) {
    throw new ArgumentError(
      `${where}: ${name} is a view of WASM memory wrapped in a plain dlarray; pass the WasmArray itself (or its stripdims())`,
    );
  }
  for (const a of avoid) {
    if (a.data != null && overlaps(out.data, a.data)) {
      throw new ArgumentError(
        `${where}: ${name} shares memory with ${a.what}; an output must not overlap the weights or another output`,
      );
    }
  }
  return out;
}

/**
 * The `out` of a call's `options` (`{ out }`, the only key), after checking that `options` is
 * undefined or such an object.
 */
export function outOption(options: unknown, where: string): unknown {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (k !== "out") {
      throw new ArgumentError(`${where}: unknown option ${describeValue(k)}; expected out`);
    }
  }
  return (options as { out?: unknown }).out;
}
