import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "packages/tconv3d/src/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", "**/target/**"],
    // Each test file in its own child process: WASM memories, worker pools and
    // onnxruntime sessions stay isolated between files.
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
