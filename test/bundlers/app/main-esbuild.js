// esbuild copies no files that code names with new URL(): the build copies the package's
// wasm/ folder next to the bundle, and init() is told where (the one tconv3d-specific line).
import { run } from "./app.js";

run({ wasmPaths: new URL("./tconv3d-wasm/", import.meta.url) });
