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

const OPTIONS: WorkerOptions = { type: "module", name: "tconv3d" };

/** A module worker from `url`, through a blob: module that imports it when `url` is on another
 * origin. */
function startWorker(url: URL): Worker {
  try {
    return new Worker(url, OPTIONS);
  } catch (error) {
    return viaBlob(url, error);
  }
}

/** A same-origin blob: module worker that imports `url`; rethrows `refused` (why the direct
 * start failed) where `url` is same-origin anyway, or where blob: workers are refused too. */
function viaBlob(url: URL, refused: unknown): Worker {
  const base = baseUrl();
  if (base === undefined || new URL(base).origin === url.origin) throw refused;
  const blob = URL.createObjectURL(
    new Blob([`import ${JSON.stringify(url.href)};\n`], { type: "text/javascript" }),
  );
  try {
    return new Worker(blob, OPTIONS);
  } finally {
    // A module worker fetches its script before running it; the blob is a few bytes.
    setTimeout(() => URL.revokeObjectURL(blob), 10_000);
  }
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
      if (scriptUrl !== undefined) return port(startWorker(scriptUrl));
      try {
        // Literal options too: Vite reads them to choose the worker's format.
        return port(
          new Worker(new URL("./worker-web.js", import.meta.url), {
            type: "module",
            name: "tconv3d",
          }),
        );
      } catch (error) {
        // The package's own script on another origin (a CDN): browsers start no worker from a
        // cross-origin URL, but a same-origin blob: module may import one (with CORS).
        return port(viaBlob(new URL("./worker-web.js", import.meta.url), error));
      }
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
