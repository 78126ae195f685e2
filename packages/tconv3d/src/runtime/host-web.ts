/**
 * The loader's host in browsers and other web-standard runtimes: `.wasm` fetched, pool workers
 * as module Web Workers started from a blob: URL, so that neither a bundler nor a cross-origin
 * (CDN) script location gets in the way.
 *
 * @module
 */

import { BackendError } from "../errors.js";
import { type Host, type PoolWorker, reportLateWorkerError, startFailure } from "./host.js";
import { isWorkerReply, type WorkerStartMessage } from "./protocol.js";

/** The document's (or worker's) base URL, for relative locations. */
function baseUrl(): string | undefined {
  const g = globalThis as { document?: { baseURI?: string }; location?: { href?: string } };
  return g.document?.baseURI ?? g.location?.href;
}

/** A module worker from `scriptUrl`, or from a blob: URL of `source`; `done` releases the
 * blob once the worker answered (it has loaded its script by then). */
function newWorker(
  source: string,
  scriptUrl: URL | undefined,
  name: string,
): { worker: Worker; done(): void } {
  if (scriptUrl !== undefined) {
    return { worker: new Worker(scriptUrl, { type: "module", name }), done() {} };
  }
  const blob = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    return {
      worker: new Worker(blob, { type: "module", name }),
      done: () => URL.revokeObjectURL(blob),
    };
  } catch (error) {
    URL.revokeObjectURL(blob);
    throw error;
  }
}

/** The web's host. */
export const webHost: Host = {
  name: "web",
  needsIsolation: true,
  bundledModule: () => undefined,

  resolve(location: string | URL): URL {
    return location instanceof URL ? location : new URL(location, baseUrl());
  },

  async compile(url: URL): Promise<WebAssembly.Module> {
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new BackendError(
        "TCONV3D_INIT",
        `tconv3d: cannot fetch the WebAssembly build ${url.href} (${String(error)})`,
        { cause: error },
      );
    }
    if (!response.ok) {
      throw new BackendError(
        "TCONV3D_INIT",
        `tconv3d: fetching the WebAssembly build ${url.href} failed: HTTP ${response.status}; ` +
          "where a bundler did not emit the package's .wasm files, copy its wasm/ folder to your " +
          "site and pass init({ wasmPaths: <its URL> })",
      );
    }
    if (response.headers.get("content-type")?.startsWith("application/wasm")) {
      return WebAssembly.compileStreaming(response);
    }
    return WebAssembly.compile(await response.arrayBuffer());
  },

  hardwareThreads(): number {
    const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
      ?.hardwareConcurrency;
    return typeof hc === "number" && hc >= 1 ? Math.floor(hc) : 1;
  },

  spawnPoolWorker(
    message: WorkerStartMessage,
    index: number,
    source: string,
    scriptUrl: URL | undefined,
  ): Promise<PoolWorker> {
    let worker: Worker;
    let done: () => void;
    try {
      ({ worker, done } = newWorker(source, scriptUrl, `tconv3d-${index}`));
    } catch (error) {
      // A Content-Security-Policy without blob: in worker-src, or a cross-origin workerUrl.
      return Promise.reject(startFailure(index, String(error)));
    }
    return new Promise<PoolWorker>((resolve, reject) => {
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        done();
        worker.terminate();
        reject(startFailure(index, event.message || "the worker script did not load"));
      };
      worker.onmessage = (event: MessageEvent) => {
        const data: unknown = event.data;
        if (!isWorkerReply(data)) return;
        done();
        worker.onmessage = null;
        worker.onerror = (e: ErrorEvent) => reportLateWorkerError(e.message);
        if (data.type === "tconv3d_worker_ready") {
          resolve({ unref() {}, terminate: () => worker.terminate() });
        } else {
          worker.terminate();
          reject(startFailure(index, data.message));
        }
      };
      worker.postMessage(message);
    });
  },
};
