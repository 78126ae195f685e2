/**
 * The loaded backend, for the package's own modules: the wasm-bindgen exports, the memory and
 * typed-array views over it. Kept out of the public declarations, which would otherwise pull
 * in the generated glue's types.
 *
 * @module
 * @internal
 */

import type * as simdGlue from "../../wasm/simd/tconv3d_wasm.js";
import { BackendError } from "../errors.js";
import type { BackendInfo } from "./loader.js";

/** The wasm-bindgen exports shared by every variant (typed from the generated glue). */
export type WasmBindings = Omit<
  typeof simdGlue,
  "default" | "initSync" | "InitInput" | "InitOutput"
>;

/**
 * The loaded backend, for the package's own modules (see {@link wasm}).
 *
 * Memory views: buffers live in the wasm linear memory, and a call into wasm may grow it.
 * Growth detaches a non-shared `ArrayBuffer`, and a `SharedArrayBuffer` view keeps its old
 * length (other threads' growth may not even be visible yet). So never keep a typed array
 * across a call into wasm: re-derive it with {@link WasmRuntime.f32} (etc.) after each call.
 */
export interface WasmRuntime {
  /** The wasm-bindgen exports (functions and classes). */
  readonly exports: WasmBindings;
  /** The instance's linear memory (shared in `simd-threads`). */
  readonly memory: WebAssembly.Memory;
  /** What was loaded. */
  readonly info: BackendInfo;
  /** The memory's current buffer (refreshed first for shared memories). */
  buffer(): ArrayBuffer | SharedArrayBuffer;
  /** A fresh `Float32Array` over `len` floats at byte address `ptr`. */
  f32(ptr: number, len: number): Float32Array;
  /** A fresh `Float64Array` over `len` doubles at byte address `ptr`. */
  f64(ptr: number, len: number): Float64Array;
}

let loaded: WasmRuntime | undefined;

/** Records the backend `init()` loaded. */
export function setBackend(runtime: WasmRuntime): void {
  loaded = runtime;
}

/** The backend `init()` loaded, if it has. */
export function currentBackend(): WasmRuntime | undefined {
  return loaded;
}

/**
 * The loaded backend.
 *
 * @throws BackendError (`TCONV3D_NOT_INITIALIZED`) before `init()` has completed.
 */
export function wasm(): WasmRuntime {
  if (loaded === undefined) {
    throw new BackendError(
      "TCONV3D_NOT_INITIALIZED",
      "tconv3d: call await init() before computing",
    );
  }
  return loaded;
}

/** The backend over an instantiated build's exports and memory. */
export function makeRuntime(
  exports: WasmBindings,
  memory: WebAssembly.Memory,
  info: BackendInfo,
): WasmRuntime {
  const shared =
    typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
  const buffer = (): ArrayBuffer | SharedArrayBuffer => {
    // Another thread may have grown a shared memory; grow(0) makes this agent see the new size
    // (toyobayashi/wasm-util#7). It cannot fail and costs a lock.
    if (shared) memory.grow(0);
    return memory.buffer;
  };
  return Object.freeze({
    exports,
    memory,
    info: Object.freeze(info),
    buffer,
    f32: (ptr: number, len: number) => new Float32Array(buffer(), ptr, len),
    f64: (ptr: number, len: number) => new Float64Array(buffer(), ptr, len),
  });
}
