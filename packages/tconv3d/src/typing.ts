/**
 * Compile-time checks of arguments that TypeScript's plain types let through: options objects
 * with keys they do not declare, and MATLAB-style Name-Value pairs. Type-only; nothing here
 * runs (the functions check the same at run time).
 *
 * @module
 */

/**
 * `O` when it has no key outside `Shape`; otherwise `O` with each unknown key typed `never`, so
 * that the call fails to compile naming that key. TypeScript alone catches an unknown key only
 * in an object literal written at the call; this also catches one in a variable.
 *
 * @typeParam O - the options as written (inferred at the call).
 * @typeParam Shape - the options the function declares.
 */
export type Exact<O, Shape> = O & { readonly [K in Exclude<keyof O, keyof Shape>]: never };

/**
 * Name-Value arguments checked against `M`, a map from each name to the type of its value: `A`
 * (the arguments as written, inferred at the call) with every even position a name of `M`
 * followed by a value of that name's type, any number of pairs. A wrong name fails to compile
 * listing the names, a wrong value with its name's type, and a name without a value saying so.
 *
 * A mapped type over `A` rather than a recursive tuple, so that TypeScript infers `A` from the
 * arguments and still types a callback value from its name (`"WeightsInitializer", (sz) => ...`
 * gets `sz: number[]`).
 *
 * @typeParam M - names to value types, e.g. `TransposedConv3dNameValues`.
 * @typeParam A - the arguments as written.
 */
export type NameValueArgs<M, A extends readonly unknown[]> = {
  // Names at the even indices ("0", "2", ..., "10", ...: the last digit is even), each followed
  // by a value (I is an index of A without its first element).
  [I in keyof A]: I extends `${string}${"0" | "2" | "4" | "6" | "8"}`
    ? I extends keyof (A extends readonly [unknown, ...infer R] ? R : [])
      ? A[I] extends keyof M
        ? A[I]
        : keyof M
      : A[I] extends string
        ? `Name-Value argument "${A[I]}" has no value`
        : keyof M
    : // The value after the name at I - 1, which is element I of A shifted right by one.
      M[[unknown, ...A][I & keyof [unknown, ...A]] & keyof M];
};
