/**
 * The loader's host in Cloudflare Workers (workerd): the runtime compiles only the `.wasm`
 * modules a Worker imports and reads no files, so this host imports the single-threaded build
 * with the code (wrangler and workerd's module rules turn the import into a
 * `WebAssembly.Module`). Workers have no threads for WebAssembly.
 *
 * @module
 */

import simd from "../../wasm/simd/tconv3d_wasm_bg.wasm";
import { BackendError } from "../errors.js";
import type { Host } from "./host.js";

/** What to do where a file would be needed. */
const NO_FILES =
  "Cloudflare Workers read no files and compile no WebAssembly from bytes: init() loads the " +
  "simd build imported with the package; to pass another, import its .wasm and call " +
  "init({ module })";

/** The Workers host. */
export const workerdHost: Host = {
  name: "workerd",
  needsIsolation: false,
  bundledModule: () => simd,
  resolve(location: string | URL): URL {
    return location instanceof URL ? location : new URL(location);
  },
  compile(url: URL): Promise<WebAssembly.Module> {
    return Promise.reject(
      new BackendError("TCONV3D_INIT", `tconv3d: cannot load ${url.href}: ${NO_FILES}`),
    );
  },
  hardwareThreads: () => 1,
  spawnPoolWorker() {
    return Promise.reject(
      new BackendError("TCONV3D_INIT", "tconv3d: Cloudflare Workers cannot start threads"),
    );
  },
};
