// Timing one call, alternating implementations in rounds, and the side measurements (the core's
// calls alone, workspace, the cost of new arrays and of copies) of bench/run.mjs.

import v8 from "node:v8";
import vm from "node:vm";
import { coreCalls } from "./core.mjs";
import { foreignLoad, snapshot, waitQuiet } from "./load.mjs";
import { median, summary } from "./table.mjs";

/** Pause between two timed calls, so that spinning pool threads of the previous implementation
 * (rayon, ORT's intra-op pool, emscripten pthreads) have gone idle. Not timed. */
export const SETTLE_MS = 2;
/** A warm-up call slower than this counts as two (no second warm-up call). */
const SLOW_WARMUP_MS = 1000;

// A full garbage collection before every timed call (outside the timing), so that one
// implementation's garbage is not collected during another's measurement.
let gc = () => {};
try {
  v8.setFlagsFromString("--expose-gc");
  gc = vm.runInNewContext("gc");
} catch {
  console.warn("bench: no gc() available; timings include whatever GC happens");
}

const sleep = (t) => new Promise((r) => setTimeout(r, t));

async function timeCall(fn) {
  gc();
  await sleep(SETTLE_MS);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = fn();
  const out = r instanceof Promise ? await r : r;
  const t = performance.now() - t0;
  const c = process.cpuUsage(c0);
  // CPU time of every thread of this process during the call, in cores (÷ wall time).
  return { t, out, cores: (c.user + c.system) / 1000 / t };
}

/**
 * Times `runners` (name → fn) alternately: warm-up, then rounds in which every runner runs
 * once, the order rotated each round. `run` holds the repetition `policy`, the run's `start`
 * (performance.now()) and its `stats` (discarded rounds and other processes' load, added to).
 * Returns name → { times, cores, median, min, max, busy } and `$`: { discarded, foreign };
 * `onFirst(name, output)` sees the first warm-up's result, for checking.
 */
export async function alternate(runners, budgetS, onFirst, { policy, start, stats }) {
  const names = Object.keys(runners);
  const res = Object.fromEntries(names.map((n) => [n, { times: [], cores: [], last: 0 }]));
  for (const n of names) {
    const { t, out } = await timeCall(runners[n]);
    res[n].last = t;
    await onFirst?.(n, out);
  }
  if (policy.warmup > 1) {
    for (const n of names) {
      if (res[n].last > SLOW_WARMUP_MS) continue;
      res[n].last = (await timeCall(runners[n])).t;
    }
  }
  const round = names.reduce((s, n) => s + res[n].last + SETTLE_MS, 0);
  // Past the soft time limit of the whole run: the minimum, and no redone rounds.
  const late = (performance.now() - start) / 1000 > policy.softLimitS;
  const reps = late
    ? policy.minReps
    : Math.max(policy.minReps, Math.min(policy.maxReps, Math.floor((budgetS * 1000) / round)));
  const maxDiscards = late ? 0 : Math.max(reps, 10);
  // Rounds during which other processes used the CPU are discarded and redone (after waiting
  // for the machine to be quiet), at most `reps` times.
  let discarded = 0;
  const foreign = [];
  for (let r = 0; r < reps; ) {
    const before = snapshot();
    const times = {};
    const cores = {};
    for (let j = 0; j < names.length; j++) {
      const n = names[(r + j) % names.length];
      ({ t: times[n], cores: cores[n] } = await timeCall(runners[n]));
    }
    const f = foreignLoad(before, snapshot());
    if (f.cores > f.limit && discarded < maxDiscards) {
      discarded++;
      await waitQuiet(3);
      continue;
    }
    foreign.push(f.cores);
    for (const n of names) {
      res[n].times.push(times[n]);
      res[n].cores.push(cores[n]);
    }
    r++;
  }
  stats.discarded += discarded;
  stats.foreign.push(...foreign);
  const out = Object.fromEntries(
    names.map((n) => [n, summary({ times: res[n].times, cores: res[n].cores })]),
  );
  out.$ = { discarded, foreign: foreign.reduce((a, b) => a + b, 0) / foreign.length };
  return out;
}

/**
 * The core's calls timed one by one on data already in WASM memory (channels-last) of one
 * tconv3d instance: the `names` among forward, dX, dW and dB (which `layer.backward` runs
 * together), in f32 or f64. Fastest of 7 after a warm-up, each call prepared like `timeCall`'s.
 */
export async function kernelParts(runtime, g, data, names, f64 = false) {
  const { calls, free } = coreCalls(runtime, g, data, f64);
  try {
    const res = {};
    for (const name of names) {
      await timeCall(calls[name]);
      const ts = [];
      for (let r = 0; r < 7; r++) ts.push((await timeCall(calls[name])).t);
      // The fastest: what the kernel costs undisturbed (these calls are not alternated with
      // others, so a burst of load on the shared machine would skew a median).
      res[name] = Math.min(...ts);
    }
    return res;
  } finally {
    free();
  }
}

/**
 * Bytes of WASM heap that one `call` (a warmed-up end-to-end call of the 2-thread build)
 * allocates at its peak beyond f32 copies of `tensors` (element counts of its inputs and
 * outputs; plans made earlier are not counted): its workspace.
 */
export function heapExtra(runtime, call, tensors) {
  const h = runtime.exports;
  h.heap_peak_reset();
  const [before] = h.heap_stats();
  call();
  const peak = h.heap_stats()[1];
  return peak - before - 4 * tensors.reduce((a, b) => a + b, 0);
}

/**
 * Median time of making new JS arrays of `sizes` floats and filling them from a shared
 * buffer: the least that returning new JS arrays costs (the first touch of fresh pages),
 * whatever the copy.
 */
export function freshTime(sizes) {
  const srcs = sizes.map((n) => new Float32Array(new SharedArrayBuffer(4 * n)).fill(1));
  const ts = [];
  for (let r = 0; r < 7; r++) {
    gc();
    const t0 = performance.now();
    for (const src of srcs) new Float32Array(src.length).set(src);
    ts.push(performance.now() - t0);
  }
  return median(ts.slice(2));
}

/** Median time of copying `sizes` floats each way between JS arrays and a shared buffer (the
 * bytes a call moves across the JS↔WASM boundary). */
export function copyTime(inSizes, outSizes) {
  const ins = inSizes.map((n) => [
    new Float32Array(n).fill(1),
    new Float32Array(new SharedArrayBuffer(4 * n)),
  ]);
  const outs = outSizes.map((n) => [
    new Float32Array(new SharedArrayBuffer(4 * n)).fill(1),
    new Float32Array(n),
  ]);
  const ts = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    for (const [src, dst] of ins) dst.set(src);
    for (const [src, dst] of outs) dst.set(src);
    ts.push(performance.now() - t0);
  }
  return median(ts.slice(2));
}
