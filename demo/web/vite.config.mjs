// The demo page: `pnpm demo:web` serves it (vite's dev server), cross-origin isolated so that
// tconv3d's threaded build runs (SharedArrayBuffer needs COOP and COEP).
import { defineConfig } from "vite";

const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
  // The training worker imports tconv3d and the demo's modules as ES modules.
  worker: { format: "es" },
});
