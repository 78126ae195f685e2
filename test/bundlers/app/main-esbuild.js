// esbuild copies no files that code names with new URL(), nor bundles workers: the build copies
// the package's wasm/ folder next to the bundle and bundles the async API's worker as an entry
// of its own (tconv3d/dist/async/worker-web.js), and init() is told where both are.
import { run } from "./app.js";

run({
  wasmPaths: new URL("./tconv3d-wasm/", import.meta.url),
  apiWorkerUrl: new URL("./tconv3d-worker.js", import.meta.url),
});
