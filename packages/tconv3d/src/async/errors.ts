/**
 * Errors across the worker boundary: the worker sends name, code, message and stack; the client
 * rebuilds an instance of the same class (so `instanceof`, `code` and `message` read as they
 * would from the synchronous API).
 *
 * @module
 * @internal
 */

import {
  ArgumentError,
  BackendError,
  FileFormatError,
  FormatError,
  MemoryError,
  SizeError,
} from "../errors.js";
import { SafetensorsError } from "../io/safetensors.js";
import type { WireError } from "./protocol.js";

/** An error class, of whatever constructor signature (instances are made without calling it). */
type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The classes the package throws, by the `name` their instances carry. Literal keys, not
 * `Class.name`: a minifier may rename classes, never these strings.
 */
const BY_NAME: Readonly<Record<string, ErrorClass>> = {
  ArgumentError,
  FormatError,
  FileFormatError,
  SizeError,
  MemoryError,
  BackendError,
  SafetensorsError,
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** For a class this table lacks (added later), the class of its code's family. */
const BY_CODE: Readonly<Record<string, ErrorClass>> = {
  TCONV3D_ARGUMENT: ArgumentError,
  TCONV3D_FORMAT: FormatError,
  TCONV3D_FILE: FileFormatError,
  TCONV3D_SIZE: SizeError,
  TCONV3D_MEMORY: MemoryError,
  TCONV3D_NOT_INITIALIZED: BackendError,
  TCONV3D_INIT: BackendError,
  TCONV3D_WORKER: BackendError,
  TCONV3D_DISPOSED: BackendError,
  TCONV3D_INTERNAL: BackendError,
};

/** What the worker sends of a thrown value. */
export function serializeError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === "string" ? { code } : {}),
    ...(typeof error.stack === "string" ? { stack: error.stack } : {}),
  };
}

function own(target: object, key: string, value: unknown): void {
  // As a class field defines it: own, writable, enumerable.
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/**
 * The error the worker threw, as an instance of the same class with the same `name`, `code`
 * and `message`. Made with `Reflect.construct(Error, ...)` on the class's prototype, so a
 * class's constructor signature does not matter (BackendError takes a code first), and the
 * instance is a genuine Error object. The stack is the worker's.
 */
export function rebuildError(wire: WireError): Error {
  const Class =
    BY_NAME[wire.name] ?? (wire.code === undefined ? undefined : BY_CODE[wire.code]) ?? Error;
  const error = Reflect.construct(Error, [wire.message], Class) as Error;
  // The package's classes set `name` (and `code`) as instance fields; built-in errors inherit
  // `name` from their prototype, which already says it.
  if (error.name !== wire.name) own(error, "name", wire.name);
  if (wire.code !== undefined) own(error, "code", wire.code);
  if (wire.stack !== undefined) {
    own(error, "stack", `${wire.stack}\n    (thrown in the tconv3d worker)`);
  }
  return error;
}
