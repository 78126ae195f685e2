import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "packages/tconv3d/src/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", "**/target/**"],
    // Packs the package once for the tests that use it as published (test/package).
    globalSetup: ["test/package/pack.ts"],
    // Each test file in its own child process: WASM memories, worker pools and
    // onnxruntime sessions stay isolated between files.
    pool: "forks",
    // Node 20 runs relaxed SIMD only behind this flag (Node 22+ and Chromium have it on), so
    // that the relaxed builds are tested too; runtime.test.ts checks a runtime without it.
    poolOptions: { forks: { execArgv: ["--experimental-wasm-relaxed-simd"] } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
