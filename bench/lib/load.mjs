// Other processes' CPU use (this machine is shared: builds and tests of other work may run
// meanwhile), from /proc/stat and this process's own CPU time.

import { readFileSync } from "node:fs";

const sleep = (t) => new Promise((r) => setTimeout(r, t));

/** CPU time of the whole machine from /proc/stat, in ms (USER_HZ = 100 ticks/s). */
function machineCpu() {
  try {
    const f = readFileSync("/proc/stat", "utf8");
    const v = f.slice(0, f.indexOf("\n")).trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: (total - v[3] - v[4]) * 10, ok: true };
  } catch {
    return { busy: 0, ok: false };
  }
}

/** Machine-wide and this process's CPU time, and the wall clock, now. */
export function snapshot() {
  const u = process.cpuUsage(); // every thread of this process, in µs
  return { m: machineCpu(), self: (u.user + u.system) / 1000, t: performance.now() };
}

/** Average number of cores that other processes kept busy between two snapshots, and the
 * threshold above which a round counts as disturbed (/proc/stat has 10 ms resolution). */
export function foreignLoad(a, b) {
  const wall = b.t - a.t;
  if (!a.m.ok || wall <= 0) return { cores: 0, limit: Number.POSITIVE_INFINITY };
  const other = b.m.busy - a.m.busy - (b.self - a.self);
  return { cores: Math.max(0, other / wall), limit: Math.max(0.15, 40 / wall) };
}

/** Waits until other processes use less than 10% of one core over 1 s, for at most
 * `maxS` seconds; returns their load over the last second. */
export async function waitQuiet(maxS) {
  const t0 = performance.now();
  for (;;) {
    const a = snapshot();
    await sleep(1000);
    const f = foreignLoad(a, snapshot());
    if (f.cores < 0.1 || performance.now() - t0 > maxS * 1000) return f.cores;
  }
}
