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

import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { eachFlag, printUsage } from "./lib/args.mjs";
import { randomF32 } from "./lib/core.mjs";
import { cpuInfo, gitInfo } from "./lib/environment.mjs";
import { renderLifecycle } from "./lib/report-lifecycle.mjs";
import { LIFECYCLE_RESULTS, readResults, writeResults } from "./lib/results.mjs";
import { replaceSection } from "./lib/sections.mjs";

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

const C = 8;
const layer = T.transposedConv3dLayer(3, 8, { stride: 2, cropping: 1 });
const input = (n, s) =>
  T.dlarray(randomF32(s[0] * s[1] * s[2] * C * n, 1 + n + s[0]), [...s, C, n], "SSSCB");
const sizes = {
  "batch 1, 16³": input(1, [16, 16, 16]),
  "batch 4, 16³": input(4, [16, 16, 16]),
  "batch 1, 24×16×16": input(1, [24, 16, 16]),
};

/** Crossings of one warm call. */
function crossingsOf(call) {
  call();
  const before = crossings.n;
  call();
  return crossings.n - before;
}

/** Times (ms) of `reps` calls of `call`, each after `between()` (untimed). */
function timed(call, between = () => {}) {
  const ms = [];
  for (let i = 0; i < reps; i++) {
    between();
    const t0 = performance.now();
    call();
    ms.push(performance.now() - t0);
  }
  return ms;
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
const alone = timed(() => layer.predict(aX));
// What a re-pack costs: the same call after each assignment of the weights (a new version).
const repacked = timed(
  () => layer.predict(aX),
  () => {
    const w = layer.weights;
    layer.weights = w;
  },
);
const alternating = others.map(([name, X]) => {
  layer.predict(X);
  return {
    name,
    times: timed(
      () => layer.predict(aX),
      () => layer.predict(X),
    ),
  };
});

const res = {
  date: new Date().toISOString(),
  commit: gitInfo(),
  cpu: cpuInfo(),
  cores: os.availableParallelism(),
  build: T.backendInfo(),
  reps,
  layer: { filterSize: 3, numFilters: 8, numChannels: C, stride: 2, cropping: 1 },
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
  let doc = "";
  try {
    doc = readFileSync(opts.out, "utf8");
  } catch {}
  writeFileSync(opts.out, replaceSection(doc, "bench:lifecycle", section));
  console.error(`bench:lifecycle: wrote ${relative(process.cwd(), opts.out)}`);
}
console.log(section);
