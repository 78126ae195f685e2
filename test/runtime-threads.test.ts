// The threaded build in Node: a rayon pool on worker_threads, shown to run work on 2 threads.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, LOAD_RUNTIME, loadRuntime, type Runtime } from "./runtime-helpers.js";

let rt: Runtime;

beforeAll(async () => {
  assertBuilt();
  rt = await loadRuntime();
});

describe("variant simd-threads in Node", () => {
  it("init({ variant: 'simd-threads', threads: 2 }) starts a 2-thread pool", async () => {
    const info = await rt.init({ variant: "simd-threads", threads: 2 });
    expect(info).toEqual({ variant: "simd-threads", simd: true, relaxedSimd: false, threads: 2 });
    expect(rt.backendInfo().threads).toBe(2);
    expect(rt.wasm().exports.pool_threads()).toBe(2);
    expect(rt.wasm().exports.variant_threads()).toBe(true);
  });

  it("more than one pool thread does work (pool_distinct_workers(64) > 1)", () => {
    const distinct = rt.wasm().exports.pool_distinct_workers(64);
    expect(distinct).toBeGreaterThan(1);
    expect(distinct).toBeLessThanOrEqual(2);
  });

  it("the memory is shared", () => {
    const w = rt.wasm();
    expect(w.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(w.buffer()).toBeInstanceOf(SharedArrayBuffer);
  });

  it("a second init() returns the same info; a different one throws", async () => {
    expect(await rt.init()).toEqual(rt.backendInfo());
    await expect(rt.init({ threads: 3 })).rejects.toThrowError(/not supported/);
    await expect(rt.init({ variant: "simd" })).rejects.toThrowError(/not supported/);
  });

  it("starts under process-wide Node flags, which workers refuse", () => {
    const script = `
      ${LOAD_RUNTIME}
      await rt.init({ variant: "simd-threads", threads: 2 });
      console.log(typeof gc, rt.wasm().exports.pool_distinct_workers(64));
    `;
    const child = spawnSync(
      process.execPath,
      ["--expose-gc", "--max-old-space-size=2048", "--input-type=module", "-e", script],
      { cwd: fileURLToPath(new URL("..", import.meta.url)), encoding: "utf8", timeout: 30_000 },
    );
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe("function 2");
  });

  it("the pool's workers do not keep a Node process alive", () => {
    const script = `
      ${LOAD_RUNTIME}
      await rt.init({ variant: "simd-threads", threads: 2 });
      console.log(rt.wasm().exports.pool_distinct_workers(64));
    `;
    const started = Date.now();
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(Number(child.stdout.trim())).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
