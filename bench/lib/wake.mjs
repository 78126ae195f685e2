// Wakes every core before a timed call. On this benchmark's virtual machine a core that has
// idled for a few milliseconds can take about as long as a whole call to come back: a 2-thread
// call of 12 ms measured 22 ms after a 20 ms pause, and 12.5 ms when every core had been kept
// busy for 5 ms just before it (1-thread calls were unaffected). Spinning every core briefly
// and stopping just before the call makes the call measure computing, as calls that follow
// each other (the layers of a model) see it, whichever implementation is timed.

import os from "node:os";
import { Worker } from "node:worker_threads";

// flag[0]: 1 while the helpers should spin; flag[1]: how many are spinning now.
const flag = new Int32Array(new SharedArrayBuffer(8));
const HELPER = `
const { workerData } = require("node:worker_threads");
const a = new Int32Array(workerData);
for (;;) {
  Atomics.wait(a, 0, 0);
  Atomics.add(a, 1, 1);
  while (Atomics.load(a, 0) === 1);
  Atomics.sub(a, 1, 1);
}`;
const helpers = Array.from({ length: Math.max(0, os.availableParallelism() - 1) }, () => {
  const w = new Worker(HELPER, { eval: true, workerData: flag.buffer });
  w.unref();
  return w;
});

/**
 * Keeps every core busy for `ms` (this thread and one helper thread per other core), then
 * stops them all and returns once none spins any more.
 */
export function wakeCores(ms) {
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const t0 = performance.now();
  // Spin for `ms`, and until every helper has started (at most 100 ms).
  while (
    performance.now() - t0 < ms ||
    (Atomics.load(flag, 1) < helpers.length && performance.now() - t0 < 100)
  );
  Atomics.store(flag, 0, 0);
  while (Atomics.load(flag, 1) > 0);
}
