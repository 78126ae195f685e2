/**
 * Entry point of a pool worker, for Node.js `worker_threads` and browser (module) Web Workers.
 *
 * The loader spawns one per pool thread and posts a {@link WorkerStartMessage}. The worker
 * instantiates the `simd-threads` module over the shared memory (`initSync({ module, memory })`,
 * which also gives this thread its own stack and TLS), replies "ready", and then calls
 * `tconv3d_worker_run(handle)`, which blocks until rayon hands it a thread to run, and then
 * runs rayon's worker loop for the life of the process. The worker never returns to its event
 * loop after that, so it handles exactly one message.
 *
 * @module
 */

import { isStartMessage, type WorkerReply, type WorkerStartMessage } from "./protocol.js";

type Reply = (message: WorkerReply) => void;

async function start(message: WorkerStartMessage, reply: Reply): Promise<void> {
  let glue: typeof import("../../wasm/simd-threads/tconv3d_wasm.js");
  try {
    glue = await import("../../wasm/simd-threads/tconv3d_wasm.js");
    glue.initSync({ module: message.module, memory: message.memory });
  } catch (error) {
    reply({
      type: "tconv3d_worker_error",
      message: error instanceof Error ? error.message : String(error),
    });
    return;
  }
  reply({ type: "tconv3d_worker_ready" });
  // Blocks (Atomics.wait) until the main thread's `PoolBuilder.build()` hands over a rayon
  // ThreadBuilder, then runs rayon's worker loop; never returns for the global pool.
  glue.tconv3d_worker_run(message.handle);
}

function isNodeRuntime(): boolean {
  return (
    typeof process === "object" &&
    process !== null &&
    typeof process.versions === "object" &&
    typeof process.versions.node === "string"
  );
}

if (isNodeRuntime()) {
  const { parentPort } = await import("node:worker_threads");
  if (parentPort !== null) {
    const port = parentPort;
    port.once("message", (data: unknown) => {
      if (isStartMessage(data)) void start(data, (m) => port.postMessage(m));
    });
  }
} else {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent) => void) | null;
    postMessage(message: WorkerReply): void;
  };
  scope.onmessage = (event: MessageEvent) => {
    if (!isStartMessage(event.data)) return;
    scope.onmessage = null;
    void start(event.data, (m) => scope.postMessage(m));
  };
}
