// The operator lifecycle seen from the layer's `predict` (a scenario, not a timed test):
//
// 1. Crossings: how many calls from JS into WASM one warm `predict` makes, counted by
//    wrapping every export of the WASM instance (the glue's own calls included: allocation,
//    freeing, the run itself).
// 2. Alternating sizes: the weights are packed once per weights version and a plan is made
//    once per input size, so a layer fed two batch sizes or two volumes in turn should run
//    each as fast as when fed one size only.
//
// Measures, writes bench/results/lifecycle.json and renders its section of BENCHMARKS.md from
// it (bench/lib/report-lifecycle.mjs; `pnpm bench:report` renders it again).
//
//   pnpm bench:lifecycle                          measures, writes both
//   pnpm bench:lifecycle -- --reps 5 --out -      fewer runs, print only
//
// Flags: --reps N (default 15), --out FILE ("-" prints only), --results FILE (none with --out -).

import os from "node:os";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { eachFlag, printUsage } from "./lib/args.mjs";
import { randomF32 } from "./lib/core.mjs";
import { cpuInfo, gitInfo } from "./lib/environment.mjs";
import { renderLifecycle } from "./lib/report-lifecycle.mjs";
import { LIFECYCLE_RESULTS, readResults, writeResults } from "./lib/results.mjs";
import { writeSection } from "./lib/sections.mjs";

const ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), "..");
const opts = { reps: 15, out: join(ROOT, "BENCHMARKS.md"), results: undefined };
eachFlag(process.argv.slice(2), "bench:lifecycle", (flag, value, path) => {
  if (flag === "--reps") opts.reps = Number(value());
  else if (flag === "--out") opts.out = path();
  else if (flag === "--results") opts.results = path();
  else if (flag === "--help" || flag === "-h") printUsage(import.meta.url);
  else throw new Error(`bench:lifecycle: unknown argument ${flag} (try --help)`);
});
if (!(Number.isInteger(opts.reps) && opts.reps >= 1)) {
  throw new Error("bench:lifecycle: --reps must be a positive integer");
}
if (opts.results === undefined) opts.results = opts.out === null ? null : LIFECYCLE_RESULTS;
const reps = opts.reps;

// Every function export of every instance counts its calls; set up before the package loads
// its build, so that the glue's `wasm` object is the counting one.
const crossings = { n: 0 };
const exportsOf = Object.getOwnPropertyDescriptor(WebAssembly.Instance.prototype, "exports");
const counting = new WeakMap();
Object.defineProperty(WebAssembly.Instance.prototype, "exports", {
  configurable: true,
  get() {
    let wrapped = counting.get(this);
    if (wrapped === undefined) {
      const raw = exportsOf.get.call(this);
      wrapped = Object.fromEntries(
        Object.entries(raw).map(([k, v]) => [
          k,
          typeof v === "function"
            ? (...args) => {
                crossings.n++;
                return v(...args);
              }
            : v,
        ]),
      );
      counting.set(this, wrapped);
    }
    return wrapped;
  },
});

const T = await import("tconv3d");
await T.init({ variant: "simd", threads: 1 });

// Many weights and few voxels (a decoder's first layer), where packing the weights costs a
// visible share of a call.
const LAYER = { filterSize: 4, numFilters: 128, numChannels: 256, stride: 2, cropping: 1 };
const C = LAYER.numChannels;
const layer = T.transposedConv3dLayer(LAYER.filterSize, LAYER.numFilters, {
  stride: LAYER.stride,
  cropping: LAYER.cropping,
});
const input = (n, s) =>
  T.dlarray(randomF32(s[0] * s[1] * s[2] * C * n, 1 + n + s[0]), [...s, C, n], "SSSCB");
const sizes = {
  "batch 1, 6³": input(1, [6, 6, 6]),
  "batch 2, 6³": input(2, [6, 6, 6]),
  "batch 1, 8×6×6": input(1, [8, 6, 6]),
};

/** Crossings of one warm call. */
function crossingsOf(call) {
  call();
  const before = crossings.n;
  call();
  return crossings.n - before;
}

/** ms of one call of `call`. */
function time(call) {
  const t0 = performance.now();
  call();
  return performance.now() - t0;
}

const [a, ...others] = Object.entries(sizes);
const [aName, aX] = a;
const crossingRows = [
  { call: "predict (JS arrays)", n: crossingsOf(() => layer.predict(aX)) },
  {
    call: 'predict (out: "wasm", disposed)',
    n: crossingsOf(() => layer.predict(aX, { out: "wasm" })[Symbol.dispose]()),
  },
  {
    call: "backward (JS arrays)",
    n:
      crossingsOf(() => layer.backward(aX, layer.predict(aX))) -
      crossingsOf(() => layer.predict(aX)),
  },
];
// Rounds in which each series takes one timed call of predict(aX), after its untimed set-up:
// the same size before (alone), another size before (alternating), or a new weights version
// (a re-pack), so that drift of the machine spreads over all of them.
const alone = [];
const repacked = [];
const alternating = others.map(([name]) => ({ name, times: [] }));
for (let i = 0; i < reps; i++) {
  layer.predict(aX);
  alone.push(time(() => layer.predict(aX)));
  others.forEach(([, X], k) => {
    layer.predict(X);
    alternating[k]?.times.push(time(() => layer.predict(aX)));
  });
  const w = layer.weights;
  layer.weights = w;
  repacked.push(time(() => layer.predict(aX)));
}

const res = {
  date: new Date().toISOString(),
  commit: gitInfo(),
  cpu: cpuInfo(),
  cores: os.availableParallelism(),
  build: T.backendInfo(),
  reps,
  layer: LAYER,
  first: aName,
  crossings: crossingRows,
  alone,
  repacked,
  alternating,
};
if (opts.results) {
  writeResults(opts.results, res);
  console.error(`bench:lifecycle: wrote ${relative(process.cwd(), opts.results)}`);
}
const section = renderLifecycle(opts.results ? readResults(opts.results) : res);
if (opts.out) {
  writeSection(opts.out, "bench:lifecycle", section);
  console.error(`bench:lifecycle: wrote ${relative(process.cwd(), opts.out)}`);
}
console.log(section);
