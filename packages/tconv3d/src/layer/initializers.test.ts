import { describe, expect, it } from "vitest";
import { expectThrows } from "../../../../test/helpers.js";
import { dlarray } from "../dlarray/dlarray.js";
import type { Tconv3dErrorCode } from "../errors.js";
import * as E from "../errors.js";
import { fans, getRng, initialize, Rng, rngSeed, setSeed } from "./initializers.js";

function stats(a: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / a.length;
  let ss = 0;
  for (let i = 0; i < a.length; i++) ss += ((a[i] as number) - mean) ** 2;
  return { mean, variance: ss / (a.length - 1), min, max };
}

describe("Rng (xoshiro128** seeded by SplitMix64)", () => {
  it("matches the reference C implementation for state {1,2,3,4}", () => {
    const r = new Rng();
    r.setState({ s: [1, 2, 3, 4], spare: null });
    const got = Array.from({ length: 6 }, () => r.nextUint32());
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("matches reference SplitMix64 seeding for seeds 0 and 1", () => {
    const r0 = new Rng(0);
    expect(r0.getState().s).toEqual([2065550767, 3793791033, 2713282036, 1853398634]);
    expect(Array.from({ length: 5 }, () => r0.nextUint32())).toEqual([
      3737715805, 2584255861, 2876756834, 3286328325, 1553311962,
    ]);
    const r1 = new Rng(1);
    expect(r1.getState().s).toEqual([2298633409, 2433363436, 1703865447, 3203108257]);
    expect(Array.from({ length: 5 }, () => r1.nextUint32())).toEqual([
      1695105466, 1423115009, 634581793, 1068227753, 716759206,
    ]);
  });

  it("is reproducible and state can be saved and restored", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    for (let i = 0; i < 100; i++) expect(a.nextDouble()).toBe(b.nextDouble());
    a.nextNormal(); // leaves a spare
    const st = a.getState();
    const x = [a.nextNormal(), a.nextNormal(), a.nextNormal()];
    b.setState(st);
    expect([b.nextNormal(), b.nextNormal(), b.nextNormal()]).toEqual(x);
    expect(new Rng(43).nextUint32()).not.toBe(new Rng(42).nextUint32());
  });

  it("doubles lie in [0, 1) and are uniform", () => {
    const r = new Rng(7);
    const n = 200_000;
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = r.nextDouble();
    const s = stats(a);
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThan(1);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(s.variance - 1 / 12)).toBeLessThan(0.002);
  });

  it("normals have mean 0, variance 1 and plausible tails", () => {
    const r = new Rng(8);
    const n = 400_000;
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = r.nextNormal();
    const s = stats(a);
    expect(Math.abs(s.mean)).toBeLessThan(0.01);
    expect(Math.abs(s.variance - 1)).toBeLessThan(0.01);
    let within1 = 0;
    for (const v of a) if (Math.abs(v) < 1) within1++;
    expect(Math.abs(within1 / n - 0.6827)).toBeLessThan(0.005);
    expect(s.max).toBeLessThan(7);
    expect(s.min).toBeGreaterThan(-7);
  });

  const badSeeds: unknown[] = [-1, 1.5, Number.NaN, 2 ** 53, "1"];
  it.each(badSeeds)("rejects seed %j", (seed) => {
    expectThrows(E, () => new Rng(seed as number), "TCONV3D_ARGUMENT", /Rng\.seed: seed must/);
    expectThrows(
      E,
      () => setSeed(seed as number),
      "TCONV3D_ARGUMENT",
      /rngSeed: seed must be a nonnegative integer/,
    );
  });

  it("setState rejects an all-zero state", () => {
    expectThrows(
      E,
      () => new Rng().setState({ s: [0, 0, 0, 0], spare: null }),
      "TCONV3D_ARGUMENT",
      /not all zero, got \[0,0,0,0\]/,
    );
  });
});

describe("module-level generator", () => {
  it("rngSeed restarts the stream used by initialize", () => {
    rngSeed(5);
    const a = initialize("he", [3, 3, 3, 4, 2], "single", 54, 108);
    rngSeed(5);
    const b = initialize("he", [3, 3, 3, 4, 2], "single", 54, 108);
    expect(Array.from(b)).toEqual(Array.from(a));
    const c = initialize("he", [3, 3, 3, 4, 2], "single", 54, 108);
    expect(Array.from(c)).not.toEqual(Array.from(a));
    expect(getRng()).toBeInstanceOf(Rng);
  });
});

describe("initialize: statistics of large draws", () => {
  const size = [5, 5, 5, 40, 40]; // 200_000 values
  const numel = 200_000;
  const { fanIn, fanOut } = fans([5, 5, 5], 40, 40);

  it.each(["single", "double"] as const)("glorot (%s): uniform on [-B, B]", (dtype) => {
    const w = initialize("glorot", size, dtype, fanIn, fanOut, new Rng(1));
    expect(w).toBeInstanceOf(dtype === "single" ? Float32Array : Float64Array);
    expect(w.length).toBe(numel);
    const bound = Math.sqrt(6 / (fanIn + fanOut));
    const s = stats(w);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.min).toBeLessThan(-0.99 * bound);
    expect(s.max).toBeGreaterThan(0.99 * bound);
    const variance = 2 / (fanIn + fanOut);
    expect(Math.abs(s.mean)).toBeLessThan(0.01 * bound);
    expect(Math.abs(s.variance / variance - 1)).toBeLessThan(0.02);
  });

  it.each(["single", "double"] as const)("he (%s): normal, variance 2/numIn", (dtype) => {
    const w = initialize("he", size, dtype, fanIn, fanOut, new Rng(2));
    const s = stats(w);
    const variance = 2 / fanIn;
    expect(Math.abs(s.mean)).toBeLessThan(0.01 * Math.sqrt(variance));
    expect(Math.abs(s.variance / variance - 1)).toBeLessThan(0.02);
  });

  it.each(["single", "double"] as const)("narrow-normal (%s): std 0.01", (dtype) => {
    const w = initialize("narrow-normal", size, dtype, fanIn, fanOut, new Rng(3));
    const s = stats(w);
    expect(Math.abs(s.mean)).toBeLessThan(1e-4);
    expect(Math.abs(Math.sqrt(s.variance) / 0.01 - 1)).toBeLessThan(0.01);
  });

  it.each(["zeros", "ones"] as const)("%s", (kind) => {
    const w = initialize(kind, [1, 1, 1, 7], "double", 0, 0);
    expect(Array.from(w)).toEqual(new Array(7).fill(kind === "ones" ? 1 : 0));
  });

  it("single values are the double values rounded once", () => {
    const d = initialize("glorot", [100], "double", 10, 10, new Rng(9));
    const f = initialize("glorot", [100], "single", 10, 10, new Rng(9));
    expect(Array.from(f)).toEqual(Array.from(Float32Array.from(d)));
  });
});

describe("fans", () => {
  it("uses the MATLAB definition, per group with groups", () => {
    expect(fans([3, 3, 3], 8, 4)).toEqual({ fanIn: 108, fanOut: 216 });
    expect(fans([3, 2, 1], 8, 4, 2)).toEqual({ fanIn: 12, fanOut: 24 });
  });
});

describe("initialize: custom functions", () => {
  it("calls the function with a copy of the size and copies the array it returns", () => {
    let seen: number[] = [];
    const out = new Float32Array(6).fill(3);
    const w = initialize(
      (sz) => {
        seen = sz;
        return out;
      },
      [1, 2, 3],
      "single",
      1,
      1,
    );
    expect(seen).toEqual([1, 2, 3]);
    expect(w).not.toBe(out);
    expect(w).toEqual(out);
  });

  it("converts number[], DlArray and other precisions", () => {
    expect(initialize(() => [1, 2], [2], "double", 1, 1)).toEqual(new Float64Array([1, 2]));
    const f64 = initialize(() => new Float64Array([0.1, 0.2]), [2], "single", 1, 1);
    expect(f64).toEqual(new Float32Array([0.1, 0.2]));
    const X = dlarray(new Float64Array([5, 6]), [1, 2]);
    const copied = initialize(() => X, [2], "double", 1, 1);
    expect(copied).not.toBe(X.data);
    expect(copied).toEqual(X.data);
  });

  const bad: Array<[string, () => unknown, Tconv3dErrorCode, string[]]> = [
    [
      "wrong length",
      () => initialize(() => new Float32Array(5), [2, 3], "single", 1, 1, undefined, "L"),
      "TCONV3D_SIZE",
      ["L: the initializer function returned 5 values for size [2,3]; expected 6"],
    ],
    [
      "wrong type",
      () => initialize(() => "x" as unknown as number[], [2], "single", 1, 1),
      "TCONV3D_ARGUMENT",
      ["must return a Float32Array, Float64Array, number[] or DlArray", '"x"'],
    ],
    [
      "unknown name",
      () => initialize("xavier" as "he", [2], "single", 1, 1),
      "TCONV3D_ARGUMENT",
      ['initializer must be one of "glorot"', '"xavier"'],
    ],
    [
      "bad dtype",
      () => initialize("zeros", [2], "half" as "single", 1, 1),
      "TCONV3D_ARGUMENT",
      ['dtype must be "single" or "double"', '"half"'],
    ],
    [
      "bad size",
      () => initialize("zeros", [2, -1], "single", 1, 1),
      "TCONV3D_ARGUMENT",
      ["size must be an array of nonnegative integers", "[2,-1]"],
    ],
    [
      "zero fan-in for he",
      () => initialize("he", [2], "single", 0, 1),
      "TCONV3D_ARGUMENT",
      ['fanIn must be a positive finite number for "he", got 0'],
    ],
    [
      "NaN fan-out for glorot",
      () => initialize("glorot", [2], "single", 1, Number.NaN),
      "TCONV3D_ARGUMENT",
      ['fanOut must be a positive finite number for "glorot", got NaN'],
    ],
  ];
  it.each(bad)("%s", (_n, make, code, parts) => {
    const err = expectThrows(E, make, code);
    for (const p of parts) expect(err.message).toContain(p);
  });
});
