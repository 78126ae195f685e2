// Deterministic test data, in plain JavaScript so that the TypeScript tests (through
// helpers.ts), the browser pages and the bundler fixture app (which copies this file beside
// it) all draw the same values. Types in values.d.mts.

/** `count` deterministic values in [-1, 1) (xorshift32 from `seed`), as `Ctor` holds them. */
export function values(count, seed, Ctor = Float32Array) {
  let s = seed >>> 0 || 1;
  const out = new Ctor(count);
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
