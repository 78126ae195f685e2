/**
 * The package's entry point for Node.js and Bun: `.wasm` files read from disk, pool
 * workers from `node:worker_threads`. The export conditions in package.json pick
 * it; everything else is in `index.ts`.
 *
 * @module
 */

import { nodeHost } from "./runtime/host-node.js";
import { useHost } from "./runtime/loader.js";

useHost(nodeHost);

export * from "./index.js";
