/**
 * How the async API starts its worker, one implementation per environment (`spawn-web.ts`,
 * `spawn-node.ts`, `spawn-workerd.ts`), installed by the package's entry points like the
 * loader's {@link Host}.
 *
 * Not a method of `Host`: the worker itself runs the loader with the web host, and a bundler
 * follows `new Worker(new URL(...))` inside a worker's graph too, so the file holding that
 * literal must stay out of the worker's graph (Vite refuses circular worker imports).
 *
 * @module
 * @internal
 */

import { BackendError } from "../errors.js";
import type { Request } from "./protocol.js";

/** A started API worker, whatever the environment's Worker API. */
export interface ApiWorkerPort {
  /** Posts `message`, transferring the buffers in `transfer`. */
  post(message: Request, transfer: ArrayBuffer[]): void;
  /** Installs the listeners: every message, and a failure (the worker died or cannot start). */
  listen(onMessage: (data: unknown) => void, onFailure: (reason: string) => void): void;
  /** Keeps the host alive while calls are pending (Node); no-op elsewhere. */
  ref(): void;
  /** Lets the host exit while the worker idles (Node); no-op elsewhere. */
  unref(): void;
  /** Stops the worker. */
  terminate(): void;
}

/** The environment-specific half of the async API. */
export interface ApiWorkerHost {
  /** Starts the worker from the package's worker script, or from `scriptUrl` when given. */
  spawn(scriptUrl: URL | undefined): ApiWorkerPort;
  /**
   * An absolute URL for a location the caller gave (a URL, a page-relative URL or, in Node, a
   * path), resolved here because the worker's base URL is its own script's, not the page's.
   */
  resolve(location: string | URL): URL;
}

let installed: ApiWorkerHost | undefined;

/** Installs the environment's spawner; the package's entry points call it (the first wins). */
export function useApiWorkerHost(host: ApiWorkerHost): void {
  installed ??= host;
}

/**
 * The installed spawner.
 *
 * @throws BackendError (`TCONV3D_INIT`) when no entry point installed one.
 */
export function apiWorkerHost(): ApiWorkerHost {
  if (installed === undefined) {
    throw new BackendError(
      "TCONV3D_INIT",
      'tconv3d: no environment was installed: import the package as "tconv3d" (its entry ' +
        "points pick Node, browser or Workers code), not a file inside its dist/ folder",
    );
  }
  return installed;
}
