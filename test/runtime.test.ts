// The runtime's state before and at init(): errors before init, option validation, and the
// default ("auto") choice. Variant-specific checks live in runtime-simd / runtime-threads
// (vitest runs each file in its own process, and a process loads one backend).
import { availableParallelism } from "node:os";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "./runtime-helpers.js";

type Runtime = typeof import("../packages/tconv3d/dist/runtime/index.js");
let rt: Runtime;

beforeAll(async () => {
  assertBuilt();
  rt = await import("../packages/tconv3d/dist/runtime/index.js");
});

describe("runtime before init()", () => {
  it("the wasm accessor throws the clear error", () => {
    expect(() => rt.wasm()).toThrowError(/^tconv3d: call await init\(\) before computing$/);
  });

  it("backendInfo() throws a clear error", () => {
    expect(() => rt.backendInfo()).toThrowError(/before await init\(\)/);
  });

  it("rejects invalid options without loading anything", async () => {
    await expect(rt.init({ threads: 0 })).rejects.toThrowError(/threads/);
    await expect(rt.init({ threads: 2.5 })).rejects.toThrowError(/threads/);
    // @ts-expect-error: not a variant
    await expect(rt.init({ variant: "gpu" })).rejects.toThrowError(/variant/);
    await expect(rt.init({ variant: "simd", threads: 4 })).rejects.toThrowError(/single-threaded/);
    expect(() => rt.wasm()).toThrowError(/call await init\(\)/);
  });
});

describe("init() with defaults", () => {
  it("picks simd-threads with min(cores, 8) threads in Node, simd on one core", async () => {
    const info = await rt.init();
    const cores = Math.min(availableParallelism(), 8);
    if (cores > 1) {
      expect(info).toEqual({
        variant: "simd-threads",
        simd: true,
        relaxedSimd: false,
        threads: cores,
      });
    } else {
      expect(info).toEqual({ variant: "simd", simd: true, relaxedSimd: false, threads: 1 });
    }
    expect(rt.backendInfo()).toEqual(info);
    expect(rt.wasm().exports.pool_threads()).toBe(info.threads);
  });

  it("is idempotent and refuses a different configuration", async () => {
    const info = rt.backendInfo();
    expect(await rt.init()).toEqual(info);
    expect(await rt.init({ variant: info.variant, threads: info.threads })).toEqual(info);
    const other = info.variant === "simd" ? "simd-threads" : "simd";
    await expect(rt.init({ variant: other, threads: 1 })).rejects.toThrowError(
      /re-initialising .* is not supported/,
    );
    await expect(rt.init({ threads: info.threads + 1 })).rejects.toThrowError(/not supported/);
  });

  it("gives typed-array views over the wasm memory", () => {
    const w = rt.wasm();
    const buf = w.buffer();
    expect(buf.byteLength).toBe(w.memory.buffer.byteLength);
    expect(w.f32(0, 4)).toBeInstanceOf(Float32Array);
    expect(w.f32(8, 2).byteOffset).toBe(8);
  });
});
