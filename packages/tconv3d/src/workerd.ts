/**
 * The package's entry point for Cloudflare Workers (workerd): the single-threaded
 * build imported with the code. The export conditions in package.json pick
 * it; everything else is in `index.ts`.
 *
 * @module
 */

import { useApiWorkerHost } from "./async/spawn.js";
import { workerdApiWorkerHost } from "./async/spawn-workerd.js";
import { workerdHost } from "./runtime/host-workerd.js";
import { useHost } from "./runtime/loader.js";

useApiWorkerHost(workerdApiWorkerHost);
useHost(workerdHost);

export * from "./index.js";
