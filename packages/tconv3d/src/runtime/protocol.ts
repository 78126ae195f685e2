/**
 * Messages between the loader and the pool workers (`pool-worker-main.js`, which repeats the
 * three type strings: it is plain JavaScript appended to the wasm-bindgen glue). The `tconv3d_worker_` prefix
 * keeps them distinguishable from anything else a host posts to a worker.
 *
 * @module
 */

/** Main → worker: instantiate the module over the shared memory and join the pool. */
export interface WorkerStartMessage {
  type: "tconv3d_worker_start";
  /** The compiled `simd-threads` module (structured-cloneable). */
  module: WebAssembly.Module;
  /** The shared memory the main thread's instance uses. */
  memory: WebAssembly.Memory;
  /** `PoolBuilder.workerHandle()`: passed to `tconv3d_worker_run` exactly once. */
  handle: number;
}

/** Worker → main: the instance is ready; the worker now blocks in `tconv3d_worker_run`. */
export interface WorkerReadyMessage {
  type: "tconv3d_worker_ready";
}

/** Worker → main: start-up failed. */
export interface WorkerErrorMessage {
  type: "tconv3d_worker_error";
  message: string;
}

export type WorkerReply = WorkerReadyMessage | WorkerErrorMessage;

export function isWorkerReply(data: unknown): data is WorkerReply {
  const type = typeof data === "object" && data !== null ? (data as { type?: unknown }).type : "";
  return type === "tconv3d_worker_ready" || type === "tconv3d_worker_error";
}
