/**
 * The loader's host in Node.js, Bun and Deno: `.wasm` files read from disk, pool workers from
 * `node:worker_threads`.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { BackendError } from "../errors.js";
import { type Host, type PoolWorker, reportLateWorkerError, startFailure } from "./host.js";
import { isWorkerReply, type WorkerStartMessage } from "./protocol.js";

/** Flags (with a separate value) that describe the parent's entry point, not how to run code. */
const ENTRY_FLAGS = new Set(["--input-type", "-e", "--eval", "-p", "--print"]);

/** The parent's Node flags (so `--experimental-*`, `--conditions`, loaders... carry over) minus
 * those about its entry point: with `node --input-type=module -e ...` (whose execArgv also holds
 * `-e` and the code) a worker would otherwise fail to start. */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (ENTRY_FLAGS.has(arg)) {
      i++;
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq > 0 && ENTRY_FLAGS.has(arg.slice(0, eq))) continue;
    out.push(arg);
  }
  return out;
}

export function newWorker(script: URL, name: string): Worker {
  const execArgv = workerExecArgv();
  try {
    return new Worker(script, { name, execArgv });
  } catch (e) {
    // Process-wide flags (`--expose-gc`, `--max-old-space-size=...`) are refused in a worker's
    // execArgv, which names them; they apply to the whole process anyway, so drop them.
    if ((e as { code?: string }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw e;
    const refused = new Set((e as Error).message.replace(/^[^:]*: /, "").split(", "));
    return new Worker(script, { name, execArgv: execArgv.filter((a) => !refused.has(a)) });
  }
}

/** Node's host. */
export const nodeHost: Host = {
  name: "node",
  needsIsolation: false,
  bundledModule: () => undefined,

  resolve(location: string | URL): URL {
    if (location instanceof URL) return location;
    // A URL with a scheme (file:, http:, data:) stays one; anything else is a file path.
    return /^[a-z][a-z0-9+.-]+:/i.test(location) && !/^[a-z]:[\\/]/i.test(location)
      ? new URL(location)
      : pathToFileURL(resolvePath(location));
  },

  async compile(url: URL): Promise<WebAssembly.Module> {
    if (url.protocol !== "file:") {
      const response = await fetch(url);
      if (!response.ok) {
        throw new BackendError(
          "TCONV3D_INIT",
          `tconv3d: fetching ${url.href} failed: HTTP ${response.status}`,
        );
      }
      return WebAssembly.compile(await response.arrayBuffer());
    }
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      // readFile's Buffer owns a plain (non-shared) ArrayBuffer.
      bytes = (await readFile(fileURLToPath(url))) as Uint8Array<ArrayBuffer>;
    } catch (error) {
      throw new BackendError(
        "TCONV3D_INIT",
        `tconv3d: cannot read the WebAssembly build ${url.href} (${String(error)}); where the ` +
          "package's files are not beside its code (a bundle), copy its wasm/ folder and pass " +
          "init({ wasmPaths: <that folder> })",
        { cause: error },
      );
    }
    return WebAssembly.compile(bytes);
  },

  hardwareThreads: () => availableParallelism(),

  spawnPoolWorker(
    message: WorkerStartMessage,
    index: number,
    source: string,
    scriptUrl: URL | undefined,
  ): Promise<PoolWorker> {
    const script = scriptUrl ?? new URL(`data:text/javascript,${encodeURIComponent(source)}`);
    const worker = newWorker(script, `tconv3d-${index}`);
    return new Promise<PoolWorker>((resolve, reject) => {
      const onError = (error: Error) => {
        cleanup();
        reject(startFailure(index, error.message));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(startFailure(index, `it exited (code ${code})`));
      };
      const onMessage = (data: unknown) => {
        if (!isWorkerReply(data)) return;
        cleanup();
        if (data.type === "tconv3d_worker_ready") {
          resolve({ unref: () => worker.unref(), terminate: () => void worker.terminate() });
        } else {
          void worker.terminate();
          reject(startFailure(index, data.message));
        }
      };
      const cleanup = () => {
        worker.off("error", onError);
        worker.off("exit", onExit);
        worker.off("message", onMessage);
        worker.on("error", reportLateWorkerError);
      };
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.on("message", onMessage);
      worker.postMessage(message);
    });
  },
};
