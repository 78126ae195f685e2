// Shared by the test files: deterministic data and the comparisons they make.
import { expect } from "vitest";

/** `count` deterministic values in [-1, 1) (xorshift32 from `seed`), as `Ctor` holds them. */
export function values<
  C extends Float32ArrayConstructor | Float64ArrayConstructor = Float32ArrayConstructor,
>(count: number, seed: number, Ctor: C = Float32Array as C): InstanceType<C> {
  let s = seed >>> 0 || 1;
  const out = new Ctor(count) as InstanceType<C>;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

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
