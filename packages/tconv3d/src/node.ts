/**
 * The package's entry point for Node.js and Bun: `.wasm` files read from disk, pool
 * workers from `node:worker_threads`. The export conditions in package.json pick
 * it; everything else is in `index.ts`.
 *
 * @module
 */

import { useApiWorkerHost } from "./async/spawn.js";
import { nodeApiWorkerHost } from "./async/spawn-node.js";
import { nodeHost } from "./runtime/host-node.js";
import { useHost } from "./runtime/loader.js";

useApiWorkerHost(nodeApiWorkerHost);
useHost(nodeHost);

export * from "./index.js";
