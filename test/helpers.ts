// Shared by the test files: deterministic data, the comparisons they make, and the check of the
// package's errors (class and code).

import type { Tconv3dErrorCode } from "tconv3d";
import { expect } from "vitest";

export { values } from "./values.mjs";

/** The largest magnitude in `a`. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}

/** The largest elementwise difference; the lengths must agree. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** The inner product. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** The error `f` throws; fails the test when it throws none. */
export function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

/** The three gradients of a backward call, as the tests compare them. */
type GradientsLike = Record<"dLdX" | "dLdW" | "dLdB", { readonly data: ArrayLike<number> }>;

/** `h` holds `g`'s gradients exactly; with `into`, `h`'s arrays are `into`'s (written in place). */
export function expectGradients(h: GradientsLike, g: GradientsLike, into?: GradientsLike): void {
  for (const k of ["dLdX", "dLdW", "dLdB"] as const) {
    if (into !== undefined) expect(h[k]).toBe(into[k]);
    expect(h[k].data).toEqual(g[k].data);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The error classes of the package: the namespace of its build (`T` in the tests of `test/`)
 * or of its source (`errors.ts`, in the tests beside the source).
 */
export interface ErrorClasses {
  readonly Tconv3dError: ErrorClass;
  readonly ArgumentError: ErrorClass;
  readonly FormatError: ErrorClass;
  readonly FileFormatError: ErrorClass;
  readonly SizeError: ErrorClass;
  readonly MemoryError: ErrorClass;
  readonly BackendError: ErrorClass;
}

/** The class that carries each code. */
const CLASS_OF: Readonly<Record<Tconv3dErrorCode, keyof ErrorClasses>> = {
  TCONV3D_ARGUMENT: "ArgumentError",
  TCONV3D_FORMAT: "FormatError",
  TCONV3D_FILE: "FileFormatError",
  TCONV3D_SIZE: "SizeError",
  TCONV3D_MEMORY: "MemoryError",
  TCONV3D_NOT_INITIALIZED: "BackendError",
  TCONV3D_INIT: "BackendError",
  TCONV3D_WORKER: "BackendError",
  TCONV3D_DISPOSED: "BackendError",
  TCONV3D_INTERNAL: "BackendError",
};

/**
 * Asserts that `err` is the package's error for `code`: a `Tconv3dError`, an instance of the
 * class of that code (e.g. `SizeError` for `"TCONV3D_SIZE"`), carrying `code`, and named as its
 * class.
 */
export function expectError(E: ErrorClasses, err: unknown, code: Tconv3dErrorCode): void {
  expect(err).toBeInstanceOf(E.Tconv3dError);
  expect(err).toBeInstanceOf(E[CLASS_OF[code]]);
  expect((err as { code?: unknown }).code).toBe(code);
  expect((err as Error).name).toBe(CLASS_OF[code]);
}

/**
 * The error `f` throws, asserted with {@link expectError} and, when given, its message matched
 * against `message`.
 */
export function expectThrows(
  E: ErrorClasses,
  f: () => unknown,
  code: Tconv3dErrorCode,
  message?: RegExp | string,
): Error {
  const err = thrown(f);
  expectError(E, err, code);
  if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}
