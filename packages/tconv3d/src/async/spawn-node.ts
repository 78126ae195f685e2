/**
 * The async API's worker with the Node entry (Node.js, Bun): a `node:worker_threads` Worker
 * running `worker-node.js` beside this file, with the parent's Node flags (as the pool's).
 *
 * @module
 * @internal
 */

import { BackendError } from "../errors.js";
import { newWorker, nodeHost } from "../runtime/host-node.js";
import type { ApiWorkerHost, ApiWorkerPort } from "./spawn.js";

/** Node's spawner. */
export const nodeApiWorkerHost: ApiWorkerHost = {
  spawn(scriptUrl: URL | undefined): ApiWorkerPort {
    let worker: ReturnType<typeof newWorker>;
    try {
      worker = newWorker(scriptUrl ?? new URL("./worker-node.js", import.meta.url), "tconv3d");
    } catch (error) {
      throw new BackendError(
        "TCONV3D_WORKER",
        `tconv3d: the API worker did not start: ${String(error)}`,
        { cause: error },
      );
    }
    return {
      post: (message, transfer) => worker.postMessage(message, transfer),
      listen(onMessage, onFailure) {
        worker.on("message", onMessage);
        worker.on("messageerror", () => onFailure("a message from the worker could not be read"));
        worker.on("error", (error: Error) => onFailure(error.message));
        worker.on("exit", (code: number) => onFailure(`it exited (code ${code})`));
      },
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      terminate: () => void worker.terminate(),
    };
  },
  resolve: (location: string | URL): URL => nodeHost.resolve(location),
};
