/**
 * Options of the async API's calls, and how they map onto the synchronous calls the worker
 * makes: an output is resident in the worker (a {@link RemoteArray}) when asked for, or by
 * default when an input is resident; otherwise it comes back by value (a {@link DlArray}).
 *
 * @module
 */

import type { DlArray } from "../dlarray/index.js";
import { describeValue } from "../dlarray/index.js";
import { ArgumentError } from "../errors.js";
import { isPlainObject } from "./protocol.js";
import { RemoteArray } from "./remote.js";

/** An array argument of the async API: by value (copied or transferred), or resident. */
export type ArrayInput = DlArray | RemoteArray;

/** The transfer option every call with array arguments takes. */
export interface TransferOption {
  /**
   * `true`: transfer the buffers of the call's typed arrays to the worker instead of copying
   * them. Nothing is copied, and those buffers are detached here afterwards (their arrays have
   * length 0): transfer only what you no longer need. The whole buffer under a view goes.
   * WasmArrays and views of a SharedArrayBuffer are copied regardless. Default `false`.
   */
  readonly transfer?: boolean;
}

/** Options of a forward call of the async API (`predict`, `dltranspconv`). */
export interface RemotePredictOptions extends TransferOption {
  /**
   * Where the output goes: `"remote"`, a new {@link RemoteArray} (resident in the worker's WASM
   * memory: the async API's `"wasm"`); `"local"`, a {@link DlArray} here; or a resident array to
   * write it into (as the synchronous `out`), which is returned. Default: `"remote"` when `X` is
   * resident, else `"local"`.
   */
  readonly out?: "remote" | "local" | RemoteArray;
}

/** Resident arrays for `backward` to write gradients into; the others are new resident ones. */
export interface RemoteGradientOutputs {
  /** For `dLdX`: size, format and dtype of `X`. */
  readonly dLdX?: RemoteArray;
  /** For `dLdW`: the weights' size, unformatted, dtype of `X`. */
  readonly dLdW?: RemoteArray;
  /** For `dLdB`: size `[1, 1, 1, numFilters]`, unformatted, dtype of `X`. */
  readonly dLdB?: RemoteArray;
}

/** Options of a backward call of the async API (`backward`, `dltranspconvBackward`). */
export interface RemoteBackwardOptions extends TransferOption {
  /**
   * Where the gradients go: `"remote"` (new {@link RemoteArray}s), `"local"` ({@link DlArray}s
   * here), or resident arrays to write some into (the others become new resident ones). Default:
   * `"remote"` when `X` or `dLdY` is resident, else `"local"`.
   */
  readonly out?: "remote" | "local" | RemoteGradientOutputs;
}

/** The gradients as resident arrays. */
export interface RemoteGradients {
  /** Same size and labels as `X`. */
  readonly dLdX: RemoteArray;
  /** Same size as the weights, unformatted. */
  readonly dLdW: RemoteArray;
  /** Size `[1, 1, 1, numFilters]`, unformatted. */
  readonly dLdB: RemoteArray;
}

/** What the optimizers read (`dLdX` is ignored and not sent): resident or by value. */
export interface RemoteLearnableGradients {
  /** Gradient of the loss with respect to the weights. */
  readonly dLdW: ArrayInput | Float32Array | Float64Array;
  /** Gradient of the loss with respect to the bias. */
  readonly dLdB: ArrayInput | Float32Array | Float64Array;
}

const GRADIENTS = ["dLdX", "dLdW", "dLdB"] as const;

/**
 * `out` and `transfer` taken out of a call's options; the other keys are passed on to the
 * synchronous call in the worker, which checks them (so its errors read as they would here).
 */
export function callOptions(
  options: unknown,
  where: string,
): { rest: Record<string, unknown>; out: unknown; move: boolean } {
  if (options === undefined) return { rest: {}, out: undefined, move: false };
  if (!isPlainObject(options)) {
    throw new ArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  const { out, transfer, ...rest } = options;
  const move = transfer ?? false;
  if (typeof move !== "boolean") {
    throw new ArgumentError(
      `${where}: options.transfer must be a boolean, got ${describeValue(move)}`,
    );
  }
  return { rest, out, move };
}

/** `transfer` of a call that takes no other option. */
export function transferOnly(options: unknown, where: string): boolean {
  const { rest, out, move } = callOptions(options, where);
  const extra = [...Object.keys(rest), ...(out === undefined ? [] : ["out"])];
  if (extra.length > 0) {
    throw new ArgumentError(
      `${where}: unknown option ${describeValue(extra[0])}; expected transfer`,
    );
  }
  return move;
}

/** The options of the synchronous call: `rest` plus `out` when there is one; none when empty. */
export function syncOptions(
  rest: Record<string, unknown>,
  out: unknown,
): Record<string, unknown> | undefined {
  const all = out === undefined ? rest : { ...rest, out };
  return Object.keys(all).length === 0 ? undefined : all;
}

function remoteOrLocal(out: unknown, where: string, expected: string): "remote" | "local" {
  if (out === "remote" || out === "local") return out;
  throw new ArgumentError(
    `${where}: options.out must be ${expected}, got ${describeValue(out)}` +
      (out === "wasm"
        ? ' (the async API\'s name for an output resident in the worker is "remote")'
        : ""),
  );
}

/** The synchronous `out` of a forward call: `"wasm"` (resident), a resident array, or none. */
export function forwardOut(out: unknown, X: unknown, where: string): unknown {
  if (out instanceof RemoteArray) return out;
  const mode =
    out === undefined
      ? X instanceof RemoteArray
        ? "remote"
        : "local"
      : remoteOrLocal(out, where, '"remote", "local" or a RemoteArray');
  return mode === "remote" ? "wasm" : undefined;
}

/** The synchronous `out` of a backward call: `"wasm"` (resident), arrays, or none. */
export function backwardOut(out: unknown, inputs: readonly unknown[], where: string): unknown {
  if (isPlainObject(out)) {
    const into: Record<string, unknown> = {};
    for (const k of Object.keys(out)) {
      if (!(GRADIENTS as readonly string[]).includes(k)) {
        throw new ArgumentError(
          `${where}: options.out has unknown key ${describeValue(k)}; expected dLdX, dLdW or dLdB`,
        );
      }
    }
    for (const k of GRADIENTS) {
      const v = out[k];
      if (v !== undefined && !(v instanceof RemoteArray)) {
        throw new ArgumentError(
          `${where}: options.out.${k} must be a RemoteArray, got ${describeValue(v)}`,
        );
      }
      // The gradients not given become new resident arrays.
      into[k] = v ?? "wasm";
    }
    return into;
  }
  const mode =
    out === undefined
      ? inputs.some((a) => a instanceof RemoteArray)
        ? "remote"
        : "local"
      : remoteOrLocal(out, where, '"remote", "local" or { dLdX?, dLdW?, dLdB? } of RemoteArrays');
  return mode === "remote" ? "wasm" : undefined;
}
