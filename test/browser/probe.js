// Runs in the page's main thread or in a dedicated Worker: init the runtime, prove the pool.
const RUNTIME = new URL("../../packages/tconv3d/dist/runtime/index.js", import.meta.url).href;

export async function probe({ variant, threads }) {
  const rt = await import(RUNTIME);
  const t0 = performance.now();
  const info = await rt.init({ variant, threads });
  const initMs = performance.now() - t0;
  const w = rt.wasm();
  const t1 = performance.now();
  const distinct = w.exports.pool_distinct_workers(64);
  const poolMs = performance.now() - t1;
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    info,
    backendInfo: rt.backendInfo(),
    poolThreads: w.exports.pool_threads(),
    distinct,
    sharedMemory:
      typeof SharedArrayBuffer === "function" && w.memory.buffer instanceof SharedArrayBuffer,
    initMs,
    poolMs,
  };
}
