/**
 * Feature detection for the WebAssembly runtime: tiny hand-assembled modules that
 * `WebAssembly.validate` accepts only where the feature is supported (the same probes as
 * `wasm-feature-detect`), plus the host checks that threads need.
 *
 * @module
 */

/** `() -> v128 { i8x16.popcnt(i8x16.splat(0)) }`: SIMD128. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15,
  253, 98, 11,
]);

/** `() -> v128 { i8x16.relaxed_swizzle(splat 1, splat 2) }`: relaxed SIMD. */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15,
  65, 2, 253, 15, 253, 128, 2, 11,
]);

/** A shared memory (min 1, max 1) and `i32.atomic.load`: the threads proposal. */
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65,
  0, 254, 16, 2, 0, 26, 11,
]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** What the current runtime supports. */
export interface RuntimeFeatures {
  simd: boolean;
  relaxedSimd: boolean;
  /** Shared memory + atomics in wasm, SharedArrayBuffer/Atomics in JS, and (in browsers)
   * cross-origin isolation, so that a shared `WebAssembly.Memory` can be sent to workers. */
  threads: boolean;
  /** Why `threads` is false (for error messages), or `""`. */
  threadsMissing: string;
}

/** Probes the runtime (cheap: three tiny `WebAssembly.validate` calls); `needsIsolation`: a
 * shared memory can reach workers only from a cross-origin-isolated page (browsers). */
export function detectFeatures(needsIsolation: boolean): RuntimeFeatures {
  const simd = validates(SIMD_PROBE);
  const relaxedSimd = simd && validates(RELAXED_SIMD_PROBE);
  let threadsMissing = "";
  if (
    needsIsolation &&
    // `false` on a page that is not isolated; absent in runtimes that have no such notion (Deno).
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false
  ) {
    // Browsers hide SharedArrayBuffer unless the page is isolated: say what to fix.
    threadsMissing =
      "the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin " +
      "and Cross-Origin-Embedder-Policy: require-corp)";
  } else if (typeof SharedArrayBuffer !== "function") {
    threadsMissing = "SharedArrayBuffer is not available";
  } else if (typeof Atomics !== "object") {
    threadsMissing = "Atomics is not available";
  } else if (!validates(THREADS_PROBE)) {
    threadsMissing = "WebAssembly threads (shared memory, atomics) are not supported";
  } else if (needsIsolation && typeof Worker !== "function") {
    threadsMissing = "Worker is not available";
  }
  return { simd, relaxedSimd, threads: threadsMissing === "", threadsMissing };
}
