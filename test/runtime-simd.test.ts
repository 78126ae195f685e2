// The single-threaded SIMD128 build.
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, loadRuntime, type Runtime } from "./runtime-helpers.js";

let rt: Runtime;

beforeAll(async () => {
  assertBuilt();
  rt = await loadRuntime();
});

describe("variant simd", () => {
  it("init({ variant: 'simd' }) loads the single-threaded build", async () => {
    const info = await rt.init({ variant: "simd" });
    expect(info).toEqual({ variant: "simd", simd: true, relaxedSimd: false, threads: 1 });
    expect(rt.backendInfo()).toEqual(info);
  });

  it("exports the uniform pool functions, single-threaded", () => {
    const w = rt.wasm().exports;
    expect(w.variant_threads()).toBe(false);
    expect(w.pool_threads()).toBe(1);
    expect(w.pool_distinct_workers(16)).toBe(1);
    expect(w.pool_distinct_workers(0)).toBe(0);
    expect("PoolBuilder" in w).toBe(false);
  });

  it("memory is a plain (non-shared) ArrayBuffer", () => {
    const w = rt.wasm();
    expect(w.memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(w.exports.wasm_memory()).toBe(w.memory);
  });
});
