/**
 * Weight and bias initializers of `transposedConv3dLayer`, and the seedable random source they
 * draw from.
 *
 * ## Random source
 * {@link Rng} is **xoshiro128\*\*** (Blackman & Vigna, 2018; public domain reference C code at
 * https://prng.di.unimi.it/xoshiro128starstar.c): 128 bits of state, period 2^128 - 1, 32-bit
 * outputs made with 32-bit integer operations only (`Math.imul`), so it is fast in JS and gives
 * the same stream on every engine. Seeds are expanded into the state with **SplitMix64**
 * (Vigna's recommended seeding; first output fills words 0-1, low half first, second output words
 * 2-3). Doubles in `[0, 1)` take 53 bits from two outputs; normals come from the Box–Muller
 * transform (both values of each pair are used). No npm dependency: the generator is 30 lines and
 * its first outputs are checked against the reference C implementation in the tests.
 *
 * Like MATLAB at start-up (`rng default` = seed 0), the module-level generator starts from seed
 * 0, so an unseeded program is reproducible; call {@link setSeed} (exported by the package as
 * `rngSeed`) to choose another stream.
 *
 * ## Fan-in and fan-out
 * As the MATLAB docs define them for this layer: `numIn = prod(FilterSize) * NumChannels`,
 * `numOut = prod(FilterSize) * NumFilters`. With `numGroups > 1` (our extension) each group is an
 * independent layer, so the per-group counts are used: `numIn = prod(FilterSize) *
 * NumChannels/numGroups`, `numOut = prod(FilterSize) * NumFilters/numGroups` - the same rule as
 * MATLAB's `groupedConvolution2dLayer` (NumChannelsPerGroup, NumFiltersPerGroup) and PyTorch's fan
 * computation from the weight shape. See {@link fans}.
 *
 * @module
 */

import { describeValue } from "../dlarray/describe.js";
import { DlArray, type Dtype, type FloatArray, isFloatArray } from "../dlarray/dlarray.js";
import { ArgumentError, SizeError } from "../errors.js";

/** Built-in weight initializers. */
export type WeightsInitializerName = "glorot" | "he" | "narrow-normal" | "zeros" | "ones";
/** Built-in bias initializers. */
export type BiasInitializerName = "zeros" | "narrow-normal" | "ones";
/** Any built-in initializer name. */
export type InitializerName = WeightsInitializerName | BiasInitializerName;

/**
 * A custom initializer (MATLAB's `func(sz)`): receives the size vector of the parameter and
 * returns `prod(size)` values in column-major order. A result of the other precision is converted.
 */
export type InitializerFunction = (
  size: number[],
) => Float32Array | Float64Array | readonly number[] | DlArray;

/** The built-in weight initializer names, in documentation order. */
export const WEIGHTS_INITIALIZERS: readonly WeightsInitializerName[] = Object.freeze([
  "glorot",
  "he",
  "narrow-normal",
  "zeros",
  "ones",
]);
/** The built-in bias initializer names, in documentation order. */
export const BIAS_INITIALIZERS: readonly BiasInitializerName[] = Object.freeze([
  "zeros",
  "narrow-normal",
  "ones",
]);

/** A snapshot of a generator's state (see {@link Rng.getState}). */
export interface RngState {
  /** The four 32-bit words of xoshiro128** state. */
  readonly s: readonly [number, number, number, number];
  /** The cached second Box–Muller value, or `null`. */
  readonly spare: number | null;
}

const MASK64 = (1n << 64n) - 1n;

function checkSeed(seed: unknown, where: string): number {
  if (typeof seed !== "number") {
    throw new ArgumentError(
      `${where}: seed must be a nonnegative integer (at most 2^53 - 1), got ${describeValue(seed)}`,
    );
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ArgumentError(
      `${where}: seed must be a nonnegative integer (at most 2^53 - 1), got ${describeValue(seed)}`,
    );
  }
  return seed;
}

/**
 * A seedable xoshiro128** generator (see the module notes).
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /**
   * @param seed - a nonnegative integer (at most 2^53 - 1); 0 by default.
   * @throws ArgumentError for another seed.
   */
  constructor(seed = 0) {
    this.seed(seed);
  }

  /**
   * Restarts the stream from `seed`: equal seeds give equal streams.
   *
   * @param seed - a nonnegative integer (at most 2^53 - 1).
   * @throws ArgumentError for another seed.
   */
  seed(seed: number): void {
    let x = BigInt(checkSeed(seed, "Rng.seed"));
    const splitmix = (): bigint => {
      x = (x + 0x9e3779b97f4a7c15n) & MASK64;
      let z = x;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
      return z ^ (z >> 31n);
    };
    const a = splitmix();
    const b = splitmix();
    this.s0 = Number(a & 0xffffffffn) | 0;
    this.s1 = Number(a >> 32n) | 0;
    this.s2 = Number(b & 0xffffffffn) | 0;
    this.s3 = Number(b >> 32n) | 0;
    this.spare = null;
  }

  /**
   * Sets the raw xoshiro128** state (the reference implementation's `s[0..3]`).
   *
   * @param state - four 32-bit words, not all zero, and an optional cached normal.
   * @throws ArgumentError for an all-zero or malformed state.
   */
  setState(state: RngState): void {
    const s = state?.s;
    if (
      !Array.isArray(s) ||
      s.length !== 4 ||
      s.some((w) => !Number.isInteger(w) || w < -0x80000000 || w > 0xffffffff) ||
      s.every((w) => w === 0)
    ) {
      throw new ArgumentError(
        `Rng.setState: state.s must be four 32-bit integers, not all zero, got ${describeValue(s)}`,
      );
    }
    this.s0 = (s[0] as number) | 0;
    this.s1 = (s[1] as number) | 0;
    this.s2 = (s[2] as number) | 0;
    this.s3 = (s[3] as number) | 0;
    this.spare = typeof state.spare === "number" ? state.spare : null;
  }

  /** A snapshot of the state; {@link Rng.setState} with it replays the stream from here. */
  getState(): RngState {
    return {
      s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0],
      spare: this.spare,
    };
  }

  /** The next 32-bit output, as an unsigned integer in `[0, 2^32)`. */
  nextUint32(): number {
    const s1 = this.s1;
    const r5 = Math.imul(s1, 5);
    const result = Math.imul((r5 << 7) | (r5 >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** A uniform double in `[0, 1)` with 53 random bits (two outputs). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A standard normal (mean 0, variance 1) by the Box–Muller transform. */
  nextNormal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = 1 - this.nextDouble(); // (0, 1]: log is finite
    const u2 = this.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

let moduleRng = new Rng(0);

/**
 * Reseeds the module-level generator that layers use when no generator is passed (MATLAB's
 * `rng(seed)`). The package exports this as `rngSeed`.
 *
 * @param seed - a nonnegative integer (at most 2^53 - 1).
 * @throws ArgumentError for another seed.
 */
export function setSeed(seed: number): void {
  checkSeed(seed, "rngSeed");
  moduleRng = new Rng(seed);
}

/**
 * Reseeds the random source of the initializers (MATLAB's `rng(seed)`): equal seeds give equal
 * weights. The generator starts from seed 0, like MATLAB's `rng default`.
 *
 * @param seed - a nonnegative integer (at most 2^53 - 1).
 * @throws ArgumentError for another seed.
 */
export function rngSeed(seed: number): void {
  setSeed(seed);
}

/** The module-level generator (seed 0 at start-up, like MATLAB's `rng default`). */
export function getRng(): Rng {
  return moduleRng;
}

/**
 * Fan-in and fan-out of the weights (see the module notes for groups).
 *
 * @param filterSize - the three filter lengths.
 * @param numFilters - total number of filters (output channels).
 * @param numChannels - total number of input channels.
 * @param numGroups - number of groups (1 for MATLAB's layer).
 * @returns `fanIn = prod(filterSize) * numChannels/numGroups`,
 *   `fanOut = prod(filterSize) * numFilters/numGroups`.
 */
export function fans(
  filterSize: readonly number[],
  numFilters: number,
  numChannels: number,
  numGroups = 1,
): { fanIn: number; fanOut: number } {
  const k = filterSize.reduce((a, b) => a * b, 1);
  return { fanIn: (k * numChannels) / numGroups, fanOut: (k * numFilters) / numGroups };
}

function checkFan(v: unknown, name: string, label: string, kind: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new ArgumentError(
      `${label}: ${name} must be a positive finite number for "${kind}", got ${describeValue(v)}`,
    );
  }
  return v;
}

/** WebAssembly (wasm32) memory's limit, which learnables must fit in. */
const MAX_LEARNABLE_BYTES = 2 ** 32;

/**
 * Fills a new array for a parameter of the given size.
 *
 * Built-ins (one draw per element, in column-major order):
 * - `"glorot"`: uniform on `[-B, B)`, `B = sqrt(6 / (fanIn + fanOut))`;
 * - `"he"`: normal, mean 0, variance `2 / fanIn`;
 * - `"narrow-normal"`: normal, mean 0, standard deviation 0.01;
 * - `"zeros"`, `"ones"`.
 * Values are computed in double precision and rounded once for `"single"`. A function is called
 * with a copy of `size` and must return `prod(size)` values.
 *
 * @param init - a built-in name or a function of the size vector.
 * @param size - the parameter's size vector (e.g. `[h, w, d, numFilters, numChannels]`).
 * @param dtype - `"single"` (Float32Array) or `"double"` (Float64Array).
 * @param fanIn - number of inputs per output (used by `"glorot"` and `"he"`).
 * @param fanOut - number of outputs per input (used by `"glorot"`).
 * @param rng - the generator; the module-level one ({@link getRng}) by default.
 * @param label - prefix of error messages, e.g. `"transposedConv3dLayer: WeightsInitializer"`.
 * @returns the values, column-major, of the requested precision.
 * @throws ArgumentError for an unknown name, a bad size/dtype/fan, or a function result of the
 *   wrong type; SizeError for a function result of the wrong length.
 */
export function initialize(
  init: InitializerName | InitializerFunction,
  size: readonly number[],
  dtype: Dtype,
  fanIn: number,
  fanOut: number,
  rng: Rng = getRng(),
  label = "initialize",
): FloatArray {
  if (!Array.isArray(size) || size.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new ArgumentError(
      `${label}: size must be an array of nonnegative integers, got ${describeValue(size)}`,
    );
  }
  if (dtype !== "single" && dtype !== "double") {
    throw new ArgumentError(
      `${label}: dtype must be "single" or "double", got ${describeValue(dtype)}`,
    );
  }
  const numel = size.reduce((a, b) => a * b, 1);
  const Ctor = dtype === "single" ? Float32Array : Float64Array;
  // Learnables go into WebAssembly memory (4 GiB at most) for every call: refuse sizes that
  // cannot fit before allocating them in JS.
  if (numel * Ctor.BYTES_PER_ELEMENT > MAX_LEARNABLE_BYTES) {
    throw new SizeError(
      `${label}: size ${describeValue([...size])} holds ${numel} values ` +
        `(${(numel * Ctor.BYTES_PER_ELEMENT) / 2 ** 30} GiB); WebAssembly memory holds at most 4 GiB`,
    );
  }

  if (typeof init === "function") {
    const got: unknown = init([...size]);
    let values: FloatArray | readonly number[];
    if (got instanceof DlArray) values = got.data;
    else if (isFloatArray(got)) values = got;
    else if (Array.isArray(got) && got.every((v) => typeof v === "number")) values = got;
    else {
      throw new ArgumentError(
        `${label}: the initializer function must return a Float32Array, Float64Array, ` +
          `number[] or DlArray, got ${describeValue(got)}`,
      );
    }
    if (values.length !== numel) {
      throw new SizeError(
        `${label}: the initializer function returned ${values.length} values for size ` +
          `${describeValue([...size])}; expected ${numel}`,
      );
    }
    // Always a copy: the caller keeps the array it returned, and changing it later must not
    // change the learnables behind the layer's back.
    return Ctor.from(values);
  }

  const out = new Ctor(numel);
  switch (init) {
    case "zeros":
      return out;
    case "ones":
      out.fill(1);
      return out;
    case "glorot": {
      const fi = checkFan(fanIn, "fanIn", label, init);
      const fo = checkFan(fanOut, "fanOut", label, init);
      const bound = Math.sqrt(6 / (fi + fo));
      for (let i = 0; i < numel; i++) out[i] = (2 * rng.nextDouble() - 1) * bound;
      return out;
    }
    case "he": {
      const fi = checkFan(fanIn, "fanIn", label, init);
      const std = Math.sqrt(2 / fi);
      for (let i = 0; i < numel; i++) out[i] = rng.nextNormal() * std;
      return out;
    }
    case "narrow-normal":
      for (let i = 0; i < numel; i++) out[i] = rng.nextNormal() * 0.01;
      return out;
    default:
      throw new ArgumentError(
        `${label}: initializer must be one of "glorot", "he", "narrow-normal", "zeros", "ones" ` +
          `or a function, got ${describeValue(init)}`,
      );
  }
}
