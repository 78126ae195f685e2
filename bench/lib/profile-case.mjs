// One core call repeated for `seconds`, for bench/profile.mjs to sample:
//   node bench/lib/profile-case.mjs SHAPE CALL f32|f64 THREADS SECONDS
// Prints one JSON line: the median ms per call and the loop's start and end on CLOCK_MONOTONIC
// (seconds, the clock `perf record -k mono` stamps samples with), so that the profile can be
// cut to the loop.

import { readFileSync } from "node:fs";
import { coreCalls, randomF32 } from "./core.mjs";
import { loadGeometry, SHAPES_FILE } from "./geometry.mjs";

const [id, call, dtype, threads, seconds] = process.argv.slice(2);
const shapes = JSON.parse(readFileSync(SHAPES_FILE, "utf8")).shapes;
const shape = shapes.find((s) => s.id === id);
if (!shape) throw new Error(`profile-case: no shape "${id}"`);
const tconv3d = await import("tconv3d");
await tconv3d.init({ variant: "simd-threads", threads: Number(threads) });
const { wasm } = await import(new URL("./runtime/backend.js", import.meta.resolve("tconv3d")).href);
// Asked of the runtime just loaded: the package takes one init(), so not loadGeometry's own.
const g = (await loadGeometry(wasm()))(shape);
const data = {
  x: randomF32(g.xNumel, 1),
  dy: randomF32(g.yNumel, 2),
  w: randomF32(g.wNumel, 3, 0.1),
  b: randomF32(g.Cout, 4, 0.1),
};
const { calls, free } = coreCalls(wasm(), g, data, dtype === "f64");
const fn = calls[call];
if (!fn) throw new Error(`profile-case: no call "${call}"`);
fn();
const now = () => Number(process.hrtime.bigint()) / 1e9;
const times = [];
const t0 = now();
while (now() - t0 < Number(seconds)) {
  const t = performance.now();
  fn();
  times.push(performance.now() - t);
}
const t1 = now();
free();
times.sort((a, b) => a - b);
console.log(JSON.stringify({ ms: times[times.length >> 1], calls: times.length, t0, t1 }));
process.exit(0);
