/**
 * The package's entry point for Node.js, Bun and Deno: `.wasm` files read from disk,
 * pool workers from `node:worker_threads`, which a process may exit with (Deno's Web
 * Workers would keep it alive for as long as the pool lives, which is forever). The export conditions in package.json pick
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
