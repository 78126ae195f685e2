// esbuild, on a page whose Content-Security-Policy refuses blob: workers: the pool worker's
// script is served as a file (the package's wasm/simd-threads/pool-worker.js).
import { run } from "./app.js";

const wasm = new URL("./tconv3d-wasm/", import.meta.url);
run({
  wasmPaths: wasm,
  workerUrl: new URL("simd-threads/pool-worker.js", wasm),
  apiWorkerUrl: new URL("./tconv3d-worker.js", import.meta.url),
});
