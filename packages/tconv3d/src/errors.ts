/**
 * The errors tconv3d throws: one hierarchy under {@link Tconv3dError}, each with a stable
 * {@link Tconv3dError.code} to branch on (messages may be reworded; codes are not).
 *
 * ```ts
 * try {
 *   layer.predict(X);
 * } catch (e) {
 *   if (e instanceof Tconv3dError && e.code === "TCONV3D_SIZE") ...
 * }
 * ```
 *
 * @module
 */

/** Every code a {@link Tconv3dError} carries, one family per subclass. */
export type Tconv3dErrorCode =
  | ArgumentError["code"]
  | FormatError["code"]
  | SizeError["code"]
  | BackendError["code"];

/** The base of every error the package throws. */
export abstract class Tconv3dError extends Error {
  /** A stable machine-readable code (see {@link Tconv3dErrorCode}). */
  abstract readonly code: Tconv3dErrorCode;
}

/**
 * An argument or option of the wrong type or out of range: a non-integer stride, an unknown
 * option name, options that contradict each other, a value past what the core can represent,
 * a layer without the learnables a call needs. The message names the argument, the value
 * received and what was expected.
 */
export class ArgumentError extends Tconv3dError {
  /** `"ArgumentError"`. */
  override readonly name = "ArgumentError";
  readonly code = "TCONV3D_ARGUMENT" as const;
}

/**
 * Labels or layouts that do not fit: a dlarray format with unknown labels or the wrong number
 * of them, an input without the spatial/channel dimensions a layer needs, a malformed file
 * (`"TCONV3D_FILE"`, thrown as {@link FileFormatError}).
 */
export class FormatError extends Tconv3dError {
  /** `"FormatError"`. */
  override readonly name: string = "FormatError";
  readonly code: "TCONV3D_FORMAT" | "TCONV3D_FILE" = "TCONV3D_FORMAT";
}

/**
 * A file that breaks its format (safetensors): the message names the rule and the tensor.
 * (Arguments that cannot be written to a file are `ArgumentError`s and `SizeError`s.)
 */
export class FileFormatError extends FormatError {
  /** `"FileFormatError"`. */
  override readonly name: string = "FileFormatError";
  override readonly code = "TCONV3D_FILE" as const;
}

/**
 * Sizes that do not agree (data length against a shape, channels of `X` against the layer,
 * `dLdY` against the output) or that are too large to compute (`"TCONV3D_MEMORY"`, thrown as
 * {@link MemoryError}, when WebAssembly memory cannot hold the buffers).
 */
export class SizeError extends Tconv3dError {
  /** `"SizeError"`. */
  override readonly name: string = "SizeError";
  readonly code: "TCONV3D_SIZE" | "TCONV3D_MEMORY" = "TCONV3D_SIZE";
}

/** WebAssembly memory cannot hold what a call needs; the module stays usable. */
export class MemoryError extends SizeError {
  /** `"MemoryError"`. */
  override readonly name: string = "MemoryError";
  override readonly code = "TCONV3D_MEMORY" as const;
}

/**
 * The runtime cannot do what was asked: a computation before `await init()`
 * (`"TCONV3D_NOT_INITIALIZED"`), a backend that cannot load here (`"TCONV3D_INIT"`), a worker
 * that failed (`"TCONV3D_WORKER"`), a disposed array used (`"TCONV3D_DISPOSED"`), or a failure
 * the package does not expect (`"TCONV3D_INTERNAL"`: a WebAssembly trap, an error of the core
 * that no other class describes; a bug to report, with the original error as `cause`).
 */
export class BackendError extends Tconv3dError {
  /** `"BackendError"`. */
  override readonly name = "BackendError";
  readonly code:
    | "TCONV3D_NOT_INITIALIZED"
    | "TCONV3D_INIT"
    | "TCONV3D_WORKER"
    | "TCONV3D_DISPOSED"
    | "TCONV3D_INTERNAL";

  constructor(code: BackendError["code"], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
