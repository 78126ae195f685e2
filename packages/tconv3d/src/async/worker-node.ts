/**
 * The async API's worker in Node.js and Bun (a `worker_threads` Worker started by
 * `spawn-node.ts`): installs Node's host and serves the client.
 *
 * @module
 * @internal
 */

import { parentPort } from "node:worker_threads";
import { nodeHost } from "../runtime/host-node.js";
import { useHost } from "../runtime/loader.js";
import { serve } from "./server.js";

useHost(nodeHost);

if (parentPort === null) {
  throw new Error("tconv3d: worker-node.js runs only as a worker_threads Worker (initWorker())");
}
const port = parentPort;
port.on("message", serve({ post: (message, transfer) => port.postMessage(message, transfer) }));
