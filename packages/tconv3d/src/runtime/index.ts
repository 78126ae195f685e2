/**
 * The WebAssembly runtime of tconv3d: {@link init} loads the fastest build the host supports
 * (SIMD128, with a worker thread pool where WebAssembly threads are available) and
 * {@link backendInfo} says what was loaded.
 *
 * @module
 */

export {
  type BackendInfo,
  backendInfo,
  type InitOptions,
  init,
  type Variant,
  type WasmPaths,
} from "./loader.js";
