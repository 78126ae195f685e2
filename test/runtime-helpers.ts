// Shared by the runtime tests: where the built package lives, and a clear failure when it is
// missing (the tests exercise the compiled JS, since the pool's worker must be a real file).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const RUNTIME_DIST = new URL("../packages/tconv3d/dist/runtime/index.js", import.meta.url);
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
