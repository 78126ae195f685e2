// Types of values.mjs.

/** `count` deterministic values in [-1, 1) (xorshift32 from `seed`), as `Ctor` holds them. */
export function values<
  C extends Float32ArrayConstructor | Float64ArrayConstructor = Float32ArrayConstructor,
>(count: number, seed: number, Ctor?: C): InstanceType<C>;
