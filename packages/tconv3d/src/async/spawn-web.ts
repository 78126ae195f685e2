/**
 * The async API's worker with the browser entry: a module Web Worker. The package's own worker
 * script is named by a literal `new Worker(new URL("./worker-web.js", import.meta.url), { type:
 * "module" })`, the form Vite and webpack 5 detect and bundle; without a bundler the browser
 * loads `worker-web.js` and its imports beside this file.
 *
 * @module
 * @internal
 */

import { BackendError } from "../errors.js";
import type { ApiWorkerHost, ApiWorkerPort } from "./spawn.js";

/** The document's (or worker's) base URL, for relative locations. */
function baseUrl(): string | undefined {
  const g = globalThis as { document?: { baseURI?: string }; location?: { href?: string } };
  return g.document?.baseURI ?? g.location?.href;
}

function port(worker: Worker): ApiWorkerPort {
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen(onMessage, onFailure) {
      worker.onmessage = (event: MessageEvent) => onMessage(event.data);
      worker.onmessageerror = () => onFailure("a message from the worker could not be read");
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        onFailure(
          event.message ||
            "its script did not load (where a bundler did not emit the package's worker, " +
              "serve dist/async/ and pass initWorker({ apiWorkerUrl }))",
        );
      };
    },
    ref() {},
    unref() {},
    terminate: () => worker.terminate(),
  };
}

/** The web's spawner. */
export const webApiWorkerHost: ApiWorkerHost = {
  spawn(scriptUrl: URL | undefined): ApiWorkerPort {
    if (typeof Worker !== "function") {
      throw new BackendError(
        "TCONV3D_INIT",
        "tconv3d: initWorker() needs Web Workers, which this runtime lacks; use init() and the synchronous API",
      );
    }
    try {
      return port(
        scriptUrl === undefined
          ? new Worker(new URL("./worker-web.js", import.meta.url), {
              type: "module",
              name: "tconv3d",
            })
          : new Worker(scriptUrl, { type: "module", name: "tconv3d" }),
      );
    } catch (error) {
      // A Content-Security-Policy without the script's origin in worker-src, a cross-origin URL.
      throw new BackendError(
        "TCONV3D_WORKER",
        `tconv3d: the API worker did not start: ${String(error)}`,
        { cause: error },
      );
    }
  },
  resolve(location: string | URL): URL {
    return location instanceof URL ? location : new URL(location, baseUrl());
  },
};
