/**
 * The package's entry point for browsers and other web-standard runtimes: `.wasm`
 * fetched, pool workers as module Web Workers. The export conditions in package.json pick
 * it; everything else is in `index.ts`.
 *
 * @module
 */

import { useApiWorkerHost } from "./async/spawn.js";
import { webApiWorkerHost } from "./async/spawn-web.js";
import { webHost } from "./runtime/host-web.js";
import { useHost } from "./runtime/loader.js";

useApiWorkerHost(webApiWorkerHost);
useHost(webHost);

export * from "./index.js";
