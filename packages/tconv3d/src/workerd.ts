/**
 * The package's entry point for Cloudflare Workers (workerd): the single-threaded
 * build imported with the code. The export conditions in package.json pick
 * it; everything else is in `index.ts`.
 *
 * @module
 */

import { workerdHost } from "./runtime/host-workerd.js";
import { useHost } from "./runtime/loader.js";

useHost(workerdHost);

export * from "./index.js";
