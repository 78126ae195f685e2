/**
 * What the loader needs from the environment it runs in, one implementation per environment
 * (`host-node.ts`, `host-web.ts`, `host-workerd.ts`). The package's entry points (`node.ts`,
 * `browser.ts`, `workerd.ts`, chosen by the export conditions in package.json) install one, so
 * that a browser bundle never sees a `node:` import and Node never needs `fetch` for a file.
 *
 * @module
 */

import { BackendError } from "../errors.js";
import type { WorkerStartMessage } from "./protocol.js";

/** A started pool worker, whatever the environment's Worker API. */
export interface PoolWorker {
  /** Lets the host exit while the worker is blocked (Node); no-op elsewhere. */
  unref(): void;
  /** Stops the worker (a pool whose start failed). */
  terminate(): void;
}

/** The environment-specific half of the loader. */
export interface Host {
  /** The environment, for messages and `backendInfo()`. */
  readonly name: "node" | "web" | "workerd";
  /** Whether threads need a cross-origin-isolated page (`crossOriginIsolated`). */
  readonly needsIsolation: boolean;
  /** The `.wasm` the environment bundles with the code (Workers import it), if any. */
  bundledModule(): WebAssembly.Module | undefined;
  /** Resolves a user-given location (a URL or, in Node, a file path) to a URL. */
  resolve(location: string | URL): URL;
  /** Reads or fetches the `.wasm` at `url` and compiles it; the error says where it looked. */
  compile(url: URL): Promise<WebAssembly.Module>;
  /** Logical processors, 1 if unknown. */
  hardwareThreads(): number;
  /**
   * Starts pool worker `index` from `source` (the pool worker's ES module text) or, when
   * given, from the script at `scriptUrl`; resolves once it replied "ready".
   */
  spawnPoolWorker(
    message: WorkerStartMessage,
    index: number,
    source: string,
    scriptUrl: URL | undefined,
  ): Promise<PoolWorker>;
}

/** Prints the failure of a pool worker that already started (a trap inside a parallel job):
 * nobody awaits it, and it must not become an unhandled error event. */
export function reportLateWorkerError(error: unknown): void {
  console.error(
    `tconv3d: a pool worker failed: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/** The reason a worker failed to start, from its reply or its error event. */
export function startFailure(index: number, reason: string): BackendError {
  return new BackendError(
    "TCONV3D_WORKER",
    `tconv3d: pool worker ${index} failed to start: ${reason}`,
  );
}
