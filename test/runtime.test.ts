// The runtime's state before and at init(): errors before init, option validation, and the
// default ("auto") choice. Variant-specific checks live in runtime-simd / runtime-threads
// (vitest runs each file in its own process, and a process loads one backend).
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, LOAD_RUNTIME, loadRuntime, type Runtime } from "./runtime-helpers.js";

let rt: Runtime;

beforeAll(async () => {
  assertBuilt();
  rt = await loadRuntime();
});

describe("runtime before init()", () => {
  it("the wasm accessor throws the clear error", () => {
    expect(() => rt.wasm()).toThrowError(/^tconv3d: call await init\(\) before computing$/);
  });

  it("wasmArray() throws the same clear error (WASM memory needs the runtime)", async () => {
    const T = await import("tconv3d");
    expect(() => T.wasmArray([2, 2])).toThrowError(
      /^tconv3d: call await init\(\) before computing$/,
    );
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
  it("picks simd-threads-relaxed with min(cores, 8) threads, simd-relaxed on one core", async () => {
    // This process runs with --experimental-wasm-relaxed-simd (vitest.config.ts).
    const info = await rt.init();
    const cores = Math.min(availableParallelism(), 8);
    if (cores > 1) {
      expect(info).toEqual({
        variant: "simd-threads-relaxed",
        simd: true,
        relaxedSimd: true,
        threads: cores,
      });
    } else {
      expect(info).toEqual({ variant: "simd-relaxed", simd: true, relaxedSimd: true, threads: 1 });
    }
    expect(rt.backendInfo()).toEqual(info);
    expect(rt.wasm().exports.pool_threads()).toBe(info.threads);
  });

  it("is idempotent and refuses a different configuration", async () => {
    const info = rt.backendInfo();
    expect(await rt.init()).toEqual(info);
    expect(await rt.init({ variant: info.variant, threads: info.threads })).toEqual(info);
    const other = info.variant === "simd-relaxed" ? "simd-threads-relaxed" : "simd-relaxed";
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

describe("a runtime without relaxed SIMD (Node 20 without its flag)", () => {
  it("auto picks a plain build, and a relaxed variant says why it cannot run", () => {
    const script = `
      ${LOAD_RUNTIME}
      const refused = await rt.init({ variant: "simd-relaxed" }).catch((e) => e.message);
      console.log(JSON.stringify({ refused, info: await rt.init() }));
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.stderr).toBe("");
    const { refused, info } = JSON.parse(child.stdout);
    expect(refused).toMatch(/simd-relaxed variant cannot run here: .* lacks relaxed SIMD/);
    const cores = Math.min(availableParallelism(), 8);
    expect(info).toEqual({
      variant: cores > 1 ? "simd-threads" : "simd",
      simd: true,
      relaxedSimd: false,
      threads: cores,
    });
  });
});
