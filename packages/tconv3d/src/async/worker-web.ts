/**
 * The async API's worker with the browser entry (a module Web Worker started by
 * `spawn-web.ts`): installs the web host and serves the client. Its graph has no top-level
 * await and no dynamic `import()`, so that a bundler can emit it as one single-file worker;
 * and it never imports `spawn-web.ts` (a worker that names itself is a cycle bundlers refuse).
 *
 * Inside a dedicated worker `Atomics.wait` is allowed, so when this thread (one of the pool's)
 * waits for the others' last tasks it blocks instead of spinning as a page's main thread must.
 *
 * @module
 * @internal
 */

import { webHost } from "../runtime/host-web.js";
import { useHost } from "../runtime/loader.js";
import { serve } from "./server.js";

useHost(webHost);

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
const onMessage = serve({ post: (message, transfer) => scope.postMessage(message, transfer) });
scope.onmessage = (event: MessageEvent) => onMessage(event.data);
