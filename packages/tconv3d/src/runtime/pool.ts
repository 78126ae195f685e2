/**
 * The thread pool of the threaded variants: the thread that starts it (it computes its share
 * of each call rather than wait) and `threads - 1` workers that each instantiate the module
 * over the shared memory and then become rayon's threads. This is the JS half of the start-up
 * protocol; its Rust twin, `crates/tconv3d-wasm/src/pool.rs`, holds the other half
 * (`PoolBuilder`, `tconv3d_worker_run`) and describes the steps. The workers' own code is
 * `pool-worker-main.js`; their messages are in `protocol.ts`.
 *
 * @module
 */

import poolWorkerSource from "../../wasm/simd-threads/pool-worker-source.js";
import * as threadsGlue from "../../wasm/simd-threads/tconv3d_wasm.js";
import type { Host, PoolWorker } from "./host.js";
import type { WorkerStartMessage } from "./protocol.js";

/** Workers of the pool, kept reachable for the life of the backend. */
const poolWorkers: PoolWorker[] = [];

/**
 * Starts `threads - 1` pool workers over `memory` and, once all are waiting, makes this thread
 * and them rayon's `threads` threads; on any worker's failure the started ones are terminated
 * and the error thrown.
 *
 * @internal
 */
export async function startPool(
  env: Host,
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  threads: number,
  script: URL | undefined,
): Promise<void> {
  const builder = new threadsGlue.PoolBuilder(threads);
  try {
    const starts: Promise<PoolWorker>[] = [];
    for (let i = 1; i < threads; i++) {
      const message: WorkerStartMessage = {
        type: "tconv3d_worker_start",
        module,
        memory,
        handle: builder.workerHandle(),
      };
      starts.push(env.spawnPoolWorker(message, i, poolWorkerSource, script));
    }
    const settled = await Promise.allSettled(starts);
    const failed = settled.find((s) => s.status === "rejected");
    if (failed !== undefined) {
      for (const s of settled) if (s.status === "fulfilled") s.value.terminate();
      throw failed.reason;
    }
    // Every worker is now blocked in tconv3d_worker_run: hand out rayon's threads.
    builder.build();
    for (const s of settled) {
      if (s.status !== "fulfilled") continue;
      s.value.unref();
      poolWorkers.push(s.value);
    }
  } finally {
    builder.free();
  }
}
