// Runs in the page's main thread or in a dedicated Worker: init the runtime, prove the pool.
const RUNTIME = new URL("../../packages/tconv3d/dist/runtime/index.js", import.meta.url).href;
const BACKEND = new URL("../../packages/tconv3d/dist/runtime/backend.js", import.meta.url).href;
const PACKAGE = new URL("../../packages/tconv3d/dist/browser.js", import.meta.url).href;

/** A forward and backward on WasmArrays against the same on JS arrays, bit for bit, before
 * and after a memory growth. */
async function wasmArrays() {
  const T = await import(PACKAGE);
  const X = T.dlarray(
    Float32Array.from({ length: 5 * 4 * 3 * 6 }, (_, i) => Math.sin(i)),
    [5, 4, 3, 6],
    "SSSC",
  );
  const layer = T.transposedConv3dLayer(3, 5, { stride: 2, cropping: 1 });
  const Y = layer.predict(X);
  const g = layer.backward(X, Y);
  const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  const Xw = T.wasmArray(X.size, X.format);
  Xw.data.set(X.data);
  const check = () => {
    const Yw = layer.predict(Xw, { out: "wasm" });
    const h = layer.backward(Xw, Yw, { out: "wasm" });
    const ok =
      same(Yw.data, Y.data) && ["dLdX", "dLdW", "dLdB"].every((k) => same(h[k].data, g[k].data));
    for (const a of [Yw, h.dLdX, h.dLdW, h.dLdB]) a.dispose();
    return ok;
  };
  const before = check();
  const bytes = Xw.data.buffer.byteLength;
  const big = T.wasmArray([bytes / 4 + 1_000_000]);
  const grew = big.data.buffer.byteLength > bytes;
  big.dispose();
  return { before, grew, after: check() };
}

export async function probe({ variant, threads }) {
  // The browser entry installs the web environment; the runtime module is the same instance.
  await import(PACKAGE);
  const rt = await import(RUNTIME);
  const { wasm } = await import(BACKEND);
  const t0 = performance.now();
  const info = await rt.init({ variant, threads });
  const initMs = performance.now() - t0;
  const w = wasm();
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
    wasmArrays: await wasmArrays(),
  };
}
