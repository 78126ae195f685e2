// Shared by the runtime tests: where the built package lives, a clear failure when it is
// missing, and its runtime module (the tests exercise the compiled JS, as users get it).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const RUNTIME_DIST = new URL("../packages/tconv3d/dist/runtime/index.js", import.meta.url);

const BACKEND_DIST = new URL("../packages/tconv3d/dist/runtime/backend.js", import.meta.url);

/** The runtime (`init`, `backendInfo`) with the package-internal `wasm()`. */
export type Runtime = typeof import("../packages/tconv3d/dist/runtime/index.js") &
  Pick<typeof import("../packages/tconv3d/dist/runtime/backend.js"), "wasm">;

/** The runtime, after the package's Node entry (`import "tconv3d"`) installed Node's
 * environment; all are one module instance, so `init` here is the package's. */
export async function loadRuntime(): Promise<Runtime> {
  await import("tconv3d");
  const [rt, { wasm }] = await Promise.all([
    import("../packages/tconv3d/dist/runtime/index.js"),
    import("../packages/tconv3d/dist/runtime/backend.js"),
  ]);
  return { ...rt, wasm };
}

/** The package, with the single-threaded `simd` build initialised. */
export async function simdPackage(): Promise<typeof import("tconv3d")> {
  assertBuilt();
  const T = await import("tconv3d");
  await T.init({ variant: "simd", threads: 1 });
  return T;
}

/** The package and its runtime, with the single-threaded `simd` build initialised. */
export async function loadSimdPackage(): Promise<{ T: typeof import("tconv3d"); rt: Runtime }> {
  const T = await simdPackage();
  return { T, rt: await loadRuntime() };
}

/** The same, for a child process's `node --input-type=module -e` script (cwd: the repo). */
export const LOAD_RUNTIME = `await import("tconv3d"); const rt = { ...(await import(${JSON.stringify(RUNTIME_DIST.href)})), wasm: (await import(${JSON.stringify(BACKEND_DIST.href)})).wasm };`;
const WASM_DIR = new URL("../packages/tconv3d/wasm/", import.meta.url);

/** Throws a clear error unless `scripts/build-wasm.sh` and `pnpm --filter tconv3d build` ran. */
export function assertBuilt(): void {
  const needed = [
    fileURLToPath(RUNTIME_DIST),
    fileURLToPath(new URL("simd/tconv3d_wasm_bg.wasm", WASM_DIR)),
    fileURLToPath(new URL("simd-threads/tconv3d_wasm_bg.wasm", WASM_DIR)),
    fileURLToPath(new URL("simd-relaxed/tconv3d_wasm_bg.wasm", WASM_DIR)),
    fileURLToPath(new URL("simd-threads-relaxed/tconv3d_wasm_bg.wasm", WASM_DIR)),
  ];
  const missing = needed.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `runtime tests need the built package (bash scripts/build-wasm.sh && pnpm --filter tconv3d build); missing: ${missing.join(", ")}`,
    );
  }
}
