/**
 * The errors of the WASM core in the package's hierarchy. The core reports a failure as a
 * wasm-bindgen `JsError` (a plain `Error` whose message is Rust's `Display` of the error:
 * `crates/tconv3d-core/src/geometry.rs`, `crates/tconv3d-wasm/src/compute.rs`), the glue
 * throws plain `Error`s of its own ("expected instance of BufferF32"), and a trap is a
 * `WebAssembly.RuntimeError`. {@link callCore} turns each into the {@link Tconv3dError} subclass
 * that says what went wrong, keeping the message (headed by the caller's name) and the original
 * as `cause`.
 *
 * @module
 * @internal
 */

import { ArgumentError, BackendError, MemoryError, SizeError, Tconv3dError } from "../errors.js";

type Make = (message: string, options: ErrorOptions) => Tconv3dError;

/**
 * The core's messages, by family; the first match wins. Sizes come from the caller's arrays,
 * so a size the core refuses is the caller's `SizeError`; parameters (filter, stride, crops)
 * are checked in TypeScript first, so the core's refusal of one is an `ArgumentError`.
 */
const RULES: readonly (readonly [RegExp, Make])[] = [
  // `GeometryError::Memory` and `TooLarge`: WASM memory cannot hold it.
  [/cannot allocate|too large for this address space/, (m, o) => new MemoryError(m, o)],
  // wasm-bindgen: a freed object (a disposed WasmArray's buffer) passed to the core.
  [
    /null pointer passed to rust|attempted to take ownership of Rust value while it was borrowed/,
    (m, o) => new BackendError("TCONV3D_DISPOSED", m, o),
  ],
  // wasm-bindgen: an object of another class (an f64 buffer for an f32 plan, or one from
  // another instance of the module).
  [/^expected instance of /, (m, o) => new ArgumentError(m, o)],
  // GeometryError: sizes of the input (batch, spatial, channels) or of a buffer.
  [
    /^(input size|batch size|NumChannels|NumFilters)\b.*expected a (positive integer|multiple of NumGroups)|expected less than the uncropped output length|holds \d+ elements; expected \d+/,
    (m, o) => new SizeError(m, o),
  ],
  // GeometryError and compute.rs: a parameter or a layout the core refuses.
  [
    /expected a (positive|nonnegative) integer|must hold \d+ values|value out of range|one-to-one layout|not a permutation|^OutputPadding /,
    (m, o) => new ArgumentError(m, o),
  ],
];

/**
 * `e` as a {@link Tconv3dError}: itself when it is one, else the class its message names
 * (see `RULES`), else a `BackendError` `"TCONV3D_INTERNAL"`: a trap or a message no rule
 * knows means a bug, not a mistake of the caller's.
 *
 * @param e - what the core (or the glue) threw.
 * @param where - the name that heads the message, e.g. `"dltranspconv"`.
 */
export function coreError(e: unknown, where: string): Tconv3dError {
  if (e instanceof Tconv3dError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const options = { cause: e };
  for (const [pattern, make] of RULES) {
    if (pattern.test(message)) return make(`${where}: ${message}`, options);
  }
  const trap = typeof WebAssembly === "object" && e instanceof WebAssembly.RuntimeError;
  return new BackendError(
    "TCONV3D_INTERNAL",
    trap
      ? `${where}: the WebAssembly core trapped (${message}); this is a bug, and the module ` +
          "may be unusable until the page or process restarts"
      : `${where}: internal error (${message}); this is a bug`,
    options,
  );
}

/**
 * Runs `body`, which calls the core, translating what it throws with {@link coreError}.
 * Errors already in the hierarchy pass through unchanged, so `body` may run the package's own
 * checks too. Call `glue()` (or `typed()`) before, outside `body`: the runtime's error for a
 * missing `init()` must reach the caller as the runtime throws it.
 *
 * @param where - the name that heads the messages.
 * @param body - the work.
 */
export function callCore<R>(where: string, body: () => R): R {
  try {
    return body();
  } catch (e) {
    throw coreError(e, where);
  }
}
