#!/usr/bin/env node

// The benchmark: tconv3d against onnxruntime-web (WASM) and onnxruntime-node (native) in ONE
// Node process, alternating implementations within every repetition, after warm-up, median of
// the repetitions. Writes BENCHMARKS.md (generated; never edit it by hand) and prints the tables.
//
//   pnpm bench                                   full run, writes BENCHMARKS.md
//   pnpm bench -- --quick --shapes gan-d,k3s1 --out -
//
// Flags: --shapes a,b (ids from shapes.json; default all), --quick (fewer repetitions, a smoke
// test), --out FILE (default BENCHMARKS.md at the repository root; "-" prints only),
// --no-backward, --shapes-file FILE, --max-wait SECONDS (wait for a quiet machine first; default
// 60, quick 5), --help.
//
// Several instances of one runtime in one process: see bench/lib/hooks.mjs and the "Method"
// section this script writes.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { register } from "node:module";
import os from "node:os";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { coreCalls, randomF32 } from "./lib/core.mjs";
import { geometry, SHAPES_FILE } from "./lib/geometry.mjs";
import { carrySections } from "./lib/sections.mjs";
import { geomean, median, ms, num, pct, ratio, sci, table } from "./lib/table.mjs";

const T_START = performance.now();
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolvePath(HERE, "..");

/** The two-core SIMD128 ceiling of docs/performance.md (51 GFLOP/s per core, measured there). */
const CEILING_PER_CORE = 51;
const CEILING_CORES = 2;
const CEILING = CEILING_PER_CORE * CEILING_CORES;
/** Agreement required between implementations: max |a − b| ≤ TOL · max |b|. */
const TOL = 1e-4;
/** Pause between two timed calls, so that spinning pool threads of the previous implementation
 * (rayon, ORT's intra-op pool, emscripten pthreads) have gone idle. Not timed. */
const SETTLE_MS = 2;

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const o = {
    shapes: null,
    quick: false,
    out: join(ROOT, "BENCHMARKS.md"),
    backward: true,
    shapesFile: null,
    maxWait: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`bench: ${a} needs a value`);
      return argv[++i];
    };
    if (a === "--") continue; // what `pnpm bench -- ...` may pass on
    if (a === "--quick") o.quick = true;
    else if (a === "--no-backward") o.backward = false;
    else if (a === "--shapes" || a.startsWith("--shapes="))
      o.shapes = value()
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a === "--out" || a.startsWith("--out=")) {
      const v = value();
      o.out = v === "-" ? null : resolvePath(process.cwd(), v);
    } else if (a === "--shapes-file" || a.startsWith("--shapes-file="))
      o.shapesFile = resolvePath(process.cwd(), value());
    else if (a === "--max-wait" || a.startsWith("--max-wait=")) o.maxWait = Number(value());
    else if (a === "--help" || a === "-h") {
      console.log(
        "usage: node bench/run.mjs [--quick] [--shapes id,id] [--out FILE|-] [--no-backward] [--shapes-file FILE] [--max-wait SECONDS]",
      );
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${a} (try --help)`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const userArgs = process.argv.slice(2).filter((a) => a !== "--");
const command =
  process.env.npm_lifecycle_event === "bench"
    ? `pnpm bench${userArgs.length ? ` -- ${userArgs.join(" ")}` : ""}`
    : `node ${relative(ROOT, fileURLToPath(import.meta.url))}${userArgs.length ? ` ${userArgs.join(" ")}` : ""}`;

/** Repetition policy: ≥ minReps timed runs per implementation, more while a per-shape time
 * budget lasts (so fast shapes get more), at most maxReps. */
const POLICY = opts.quick
  ? { warmup: 1, minReps: 3, maxReps: 5, fwdBudgetS: 1.5, bwdBudgetS: 1, softLimitS: 120 }
  : { warmup: 2, minReps: 5, maxReps: 25, fwdBudgetS: 10, bwdBudgetS: 6, softLimitS: 420 };
/** A warm-up call slower than this counts as two (no second warm-up call). */
const SLOW_WARMUP_MS = 1000;

// ---------------------------------------------------------------------------------------------
// Shapes

const shapesFile = opts.shapesFile ?? SHAPES_FILE;
const allShapes = JSON.parse(readFileSync(shapesFile, "utf8")).shapes;
let shapes = allShapes;
if (opts.shapes) {
  const unknown = opts.shapes.filter((id) => !allShapes.some((s) => s.id === id));
  if (unknown.length)
    throw new Error(
      `bench: unknown shape(s) ${unknown.join(", ")}; known: ${allShapes.map((s) => s.id).join(", ")}`,
    );
  shapes = opts.shapes.map((id) => allShapes.find((s) => s.id === id));
}
const geoms = shapes.map(geometry);

// ---------------------------------------------------------------------------------------------
// Independent module instances in one process (see hooks.mjs)

register(new URL("./lib/hooks.mjs", import.meta.url));

/** Imports a fresh instance of the module graph of `specifier` (bare or file URL). */
function importInstance(specifier, name) {
  const url = specifier.startsWith("file:") ? specifier : import.meta.resolve(specifier);
  return import(`${url}?benchInst=${encodeURIComponent(name)}`);
}

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

// ---------------------------------------------------------------------------------------------
// Data

/** max |a − ref| / max |ref| (∞ on NaN or a length mismatch). */
function relErr(a, ref) {
  if (a.length !== ref.length) return Number.POSITIVE_INFINITY;
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    const x = a[i];
    const r = ref[i];
    const e = Math.abs(x - r);
    if (!(e <= d)) d = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
    const ar = Math.abs(r);
    if (ar > m) m = ar;
  }
  return m === 0 ? (d === 0 ? 0 : Number.POSITIVE_INFINITY) : d / m;
}

function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// ---------------------------------------------------------------------------------------------
// Implementations

/** @typedef {{ forward(): unknown, output(r: unknown): {data: Float32Array, shape: number[]},
 *   backward?: () => unknown, release(): Promise<void> | void }} Prepared */

/** `f64`: the layer in double precision; `reuse`: every call writes into the same output
 * arrays (the `out` options), as a training loop or repeated inference would; `wasm`: inputs
 * and reused outputs are WasmArrays (tensors that live in WASM memory). */
function tconv3dImpl(
  key,
  label,
  mod,
  initOptions,
  { f64 = false, reuse = false, wasm = false } = {},
) {
  return {
    key,
    label,
    suffix: wasm ? ", in WASM memory" : reuse ? ", outputs reused" : "",
    family: "tconv3d",
    threads: initOptions.threads,
    mod,
    async load() {
      this.info = await mod.init(initOptions);
      if (this.info.variant !== initOptions.variant || this.info.threads !== initOptions.threads) {
        throw new Error(`bench: ${label} loaded ${JSON.stringify(this.info)}`);
      }
    },
    async prepare(g, data) {
      // f64: the same values in double precision (the layer computes in X's precision).
      const cast = (v) => (f64 ? Float64Array.from(v) : v);
      const layer = mod.transposedConv3dLayer(g.ourFilter, g.Cout, {
        stride: g.ourStride,
        cropping: g.ourCropping,
        weights: mod.dlarray(cast(data.w), g.ourWeightSize),
        bias: cast(data.b),
      });
      const made = [];
      /** A WasmArray copy of `A` (filled, not timed), or `A` itself without `wasm`. */
      const place = (A) => {
        if (!wasm) return A;
        const W = mod.wasmArray(A.size, A.format, A.dtype);
        W.data.set(A.data);
        made.push(W);
        return W;
      };
      const X = place(mod.fromNCDHW(cast(data.x), g.xShape));
      const dY = data.dy ? place(mod.fromNCDHW(data.dy, g.yShape)) : null;
      // Outputs to reuse: made by one untimed call each.
      const Y = reuse || wasm ? place(layer.predict(X)) : undefined;
      const g0 = (reuse || wasm) && dY && !f64 ? layer.backward(X, dY) : undefined;
      const grads = g0 && { dLdX: place(g0.dLdX), dLdW: place(g0.dLdW), dLdB: place(g0.dLdB) };
      return {
        forward: () => layer.predict(X, { out: Y }),
        output: (Y) => Y.toNCDHW(),
        backward: dY && !f64 ? () => layer.backward(X, dY, { out: grads }) : undefined,
        release() {
          for (const W of made) W.dispose();
        },
      };
    },
  };
}

function ortImpl(key, label, family, ort, threads, sessionOptions) {
  return {
    key,
    label,
    family,
    threads,
    async load() {},
    async prepare(g, data) {
      const session = await ort.InferenceSession.create(data.model.slice(), sessionOptions);
      const x = new ort.Tensor("float32", data.x, g.xShape);
      return {
        forward: () => session.run({ x }),
        output: (r) => ({ data: r.y.data, shape: [...r.y.dims] }),
        release: () => session.release(),
      };
    },
  };
}

async function loadImplementations() {
  const tc = {
    simd: await importInstance("tconv3d", "tconv3d-simd"),
    t1: await importInstance("tconv3d", "tconv3d-threads-1"),
    t2: await importInstance("tconv3d", "tconv3d-threads-2"),
    relaxed: await importInstance("tconv3d", "tconv3d-threads-relaxed-2"),
  };
  const web1 = await importInstance("onnxruntime-web", "ort-web-1");
  const web2 = await importInstance("onnxruntime-web", "ort-web-2");
  for (const [ort, n] of [
    [web1, 1],
    [web2, 2],
  ]) {
    ort.env.wasm.numThreads = n;
    ort.env.wasm.proxy = false;
    ort.env.wasm.simd = true;
    ort.env.logLevel = "error";
  }
  const node = await import("onnxruntime-node");
  node.env.logLevel = "error";
  const webOpts = { executionProviders: ["wasm"], graphOptimizationLevel: "all" };
  const nodeOpts = (n) => ({
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: n,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  const impls = [
    tconv3dImpl("tc-simd", "tconv3d simd", tc.simd, { variant: "simd", threads: 1 }),
    tconv3dImpl("tc-t1", "tconv3d simd-threads", tc.t1, { variant: "simd-threads", threads: 1 }),
    tconv3dImpl("tc-t2", "tconv3d simd-threads", tc.t2, { variant: "simd-threads", threads: 2 }),
    ...["out", "wasm"].flatMap((mode) =>
      [1, 2].map((n) =>
        tconv3dImpl(
          `tc-t${n}-${mode}`,
          "tconv3d simd-threads",
          n === 1 ? tc.t1 : tc.t2,
          { variant: "simd-threads", threads: n },
          { reuse: mode === "out", wasm: mode === "wasm" },
        ),
      ),
    ),
    ...["", "-out", "-wasm"].map((mode) =>
      tconv3dImpl(
        `tc-t2-f64${mode}`,
        "tconv3d simd-threads f64",
        tc.t2,
        { variant: "simd-threads", threads: 2 },
        { f64: true, reuse: mode === "-out", wasm: mode === "-wasm" },
      ),
    ),
    ortImpl("web-t1", "onnxruntime-web (wasm)", "ort-web", web1, 1, webOpts),
    ortImpl("web-t2", "onnxruntime-web (wasm)", "ort-web", web2, 2, webOpts),
    ortImpl("node-t1", "onnxruntime-node (native)", "ort-node", node, 1, nodeOpts(1)),
    ortImpl("node-t2", "onnxruntime-node (native)", "ort-node", node, 2, nodeOpts(2)),
  ];
  for (const impl of impls) await impl.load();
  // The relaxed-SIMD build, when this runtime takes it (Node 20: --experimental-wasm-relaxed-simd,
  // which `pnpm bench` passes).
  const relaxed = tconv3dImpl("tc-t2-relaxed", "tconv3d simd-threads-relaxed", tc.relaxed, {
    variant: "simd-threads-relaxed",
    threads: 2,
  });
  try {
    await relaxed.load();
    impls.splice(
      impls.findIndex((i) => i.key === "web-t1"),
      0,
      relaxed,
    );
  } catch (e) {
    log(`bench: no relaxed-SIMD row: ${e.message}`);
  }
  return impls;
}

// ---------------------------------------------------------------------------------------------
// Other processes (this machine is shared: builds and tests of other work may run meanwhile)

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

function snapshot() {
  const u = process.cpuUsage(); // every thread of this process, in µs
  return { m: machineCpu(), self: (u.user + u.system) / 1000, t: performance.now() };
}

/** Average number of cores that other processes kept busy between two snapshots, and the
 * threshold above which a round counts as disturbed (/proc/stat has 10 ms resolution). */
function foreignLoad(a, b) {
  const wall = b.t - a.t;
  if (!a.m.ok || wall <= 0) return { cores: 0, limit: Number.POSITIVE_INFINITY };
  const other = b.m.busy - a.m.busy - (b.self - a.self);
  return { cores: Math.max(0, other / wall), limit: Math.max(0.15, 40 / wall) };
}

/** Waits until other processes use less than 10% of one core over 1 s, for at most
 * `maxS` seconds; returns their load over the last second. */
async function waitQuiet(maxS) {
  const t0 = performance.now();
  for (;;) {
    const a = snapshot();
    await sleep(1000);
    const f = foreignLoad(a, snapshot());
    if (f.cores < 0.1 || performance.now() - t0 > maxS * 1000) return f.cores;
  }
}

const stats = { discarded: 0, foreign: [], startLoad: 0 };

// ---------------------------------------------------------------------------------------------
// Timing

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
 * once, the order rotated each round. Returns name → { times, first } (first: the first
 * warm-up's result, for checking).
 */
async function alternate(runners, budgetS, onFirst) {
  const names = Object.keys(runners);
  const res = Object.fromEntries(names.map((n) => [n, { times: [], cores: [], last: 0 }]));
  for (const n of names) {
    const { t, out } = await timeCall(runners[n]);
    res[n].last = t;
    await onFirst?.(n, out);
  }
  if (POLICY.warmup > 1) {
    for (const n of names) {
      if (res[n].last > SLOW_WARMUP_MS) continue;
      res[n].last = (await timeCall(runners[n])).t;
    }
  }
  const round = names.reduce((s, n) => s + res[n].last + SETTLE_MS, 0);
  // Past the soft time limit of the whole run: the minimum, and no redone rounds.
  const late = (performance.now() - T_START) / 1000 > POLICY.softLimitS;
  const reps = late
    ? POLICY.minReps
    : Math.max(POLICY.minReps, Math.min(POLICY.maxReps, Math.floor((budgetS * 1000) / round)));
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
  res.$ = { discarded, foreign: foreign.reduce((a, b) => a + b, 0) / foreign.length };
  stats.discarded += discarded;
  stats.foreign.push(...foreign);
  for (const n of names) {
    const ts = res[n].times;
    res[n].median = median(ts);
    res[n].min = Math.min(...ts);
    res[n].max = Math.max(...ts);
    res[n].busy = median(res[n].cores);
  }
  return res;
}

/**
 * The core's calls timed one by one on data already in WASM memory (channels-last) of one
 * tconv3d instance: the `names` among forward, dX, dW and dB (which `layer.backward` runs
 * together), in f32 or f64. Fastest of 7 after a warm-up, each call prepared like `timeCall`'s.
 */
async function kernelParts(runtime, g, data, names, f64 = false) {
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
function heapExtra(runtime, call, tensors) {
  const h = runtime.exports;
  h.heap_peak_reset();
  const [before] = h.heap_stats();
  call();
  const peak = h.heap_stats()[1];
  return peak - before - 4 * tensors.reduce((a, b) => a + b, 0);
}

const kb = (bytes) => (bytes / 1024).toFixed(0);

/**
 * Median time of making new JS arrays of `sizes` floats and filling them from a shared
 * buffer: the least that returning new JS arrays costs (the first touch of fresh pages),
 * whatever the copy.
 */
function freshTime(sizes) {
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
function copyTime(inSizes, outSizes) {
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

// ---------------------------------------------------------------------------------------------
// The run

function cpuInfo() {
  let model = os.cpus()[0]?.model ?? "unknown";
  let flags = "";
  try {
    const txt = readFileSync("/proc/cpuinfo", "utf8");
    model = /^model name\s*:\s*(.*)$/m.exec(txt)?.[1]?.trim() ?? model;
    const f = new Set((/^flags\s*:\s*(.*)$/m.exec(txt)?.[1] ?? "").split(/\s+/));
    flags = ["sse4_2", "avx", "avx2", "fma", "avx512f"].filter((x) => f.has(x)).join(" ");
  } catch {}
  return { model, flags };
}

function gitInfo() {
  try {
    const git = (...a) => execFileSync("git", a, { cwd: ROOT }).toString().trimEnd();
    const head = git("rev-parse", "--short=12", "HEAD");
    // Uncommitted changes that may be in the measured build (not this benchmark's own files).
    const dirty = git(
      "status",
      "--porcelain",
      "--",
      "crates",
      "packages",
      "Cargo.toml",
      "Cargo.lock",
      "scripts",
    )
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3));
    if (dirty.length === 0) return head;
    const list =
      dirty.slice(0, 6).join(", ") + (dirty.length > 6 ? `, … (${dirty.length} paths)` : "");
    return `${head} + uncommitted changes (${list})`;
  } catch {
    return "unknown";
  }
}

function wasmBuildInfo(variant) {
  const p = join(ROOT, "packages", "tconv3d", "wasm", variant, "tconv3d_wasm_bg.wasm");
  try {
    const bytes = readFileSync(p);
    const sha = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
    return `${variant}: ${(bytes.length / 1024).toFixed(0)} KiB, sha256 ${sha}…, built ${statSync(p).mtime.toISOString()}`;
  } catch {
    return `${variant}: not built`;
  }
}

function pkgVersion(name) {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve(name)));
    while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}

const log = (...a) => console.error(...a);

// What is measured: the build as found now (other work may rebuild it while this runs).
const BUILT = ["simd", "simd-threads", "simd-threads-relaxed"];
const buildAtStart = `commit ${gitInfo()}; wasm ${BUILT.map(wasmBuildInfo).join("; ")}`;
const impls = await loadImplementations();
// The 1- and 2-thread instances' WASM runtimes, for timing the core's calls one by one.
const runtimeOf = async (inst) =>
  (
    await import(
      `${new URL("./runtime/backend.js", import.meta.resolve("tconv3d"))}?benchInst=${inst}`
    )
  ).wasm();
const wasmT1 = await runtimeOf("tconv3d-threads-1");
const wasmT2 = await runtimeOf("tconv3d-threads-2");
const byKey = Object.fromEntries(impls.map((i) => [i.key, i]));
const TC = ["tc-simd", "tc-t1", "tc-t2"];
/** The 2-thread build at 1 and 2 threads writing into reused outputs (`out`), and with inputs
 * and outputs in WASM memory (WasmArrays). */
const OUT = ["tc-t1-out", "tc-t2-out", "tc-t1-wasm", "tc-t2-wasm"];
/** The ways of calling: new output arrays, outputs reused, tensors in WASM memory. */
const MODES = ["", "-out", "-wasm"];
const PEERS = ["web-t1", "web-t2", "node-t1", "node-t2"];
log(
  `bench: ${geoms.length} shape(s), ${opts.quick ? "quick" : "full"} run, implementations: ${impls.map((i) => i.key).join(", ")}`,
);

const maxWait = opts.maxWait ?? (opts.quick ? 5 : 60);
log(`bench: waiting (at most ${maxWait} s) for other processes to leave the CPU idle…`);
stats.startLoad = await waitQuiet(maxWait);
log(`bench: other processes' load now ${stats.startLoad.toFixed(2)} cores`);

const results = [];
for (const g of geoms) {
  const tShape = performance.now();
  log(`\n[${g.id}] ${g.describe}, ${(g.flops / 1e9).toFixed(2)} GFLOP`);
  const seed = [...g.id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const data = {
    x: randomF32(g.xNumel, seed),
    w: randomF32(g.wNumel, seed + 1, Math.sqrt(3 / (g.Cin * g.k.d * g.k.h * g.k.w))),
    b: randomF32(g.Cout, seed + 2, 0.1),
    dy: opts.backward ? randomF32(g.yNumel, seed + 3) : null,
  };
  const { convTransposeModel } = await import("../test/oracle/onnx.ts");
  data.model = convTransposeModel({
    x: data.x,
    xShape: g.xShape,
    w: data.w,
    wShape: g.wShape,
    b: data.b,
    strides: g.onnxStrides,
    pads: g.onnxPads,
  });

  const prepared = {};
  for (const impl of impls) prepared[impl.key] = await impl.prepare(g, data);

  // Forward: check every output against tconv3d simd's (the first), then time.
  const outputs = {};
  const fwd = await alternate(
    Object.fromEntries(impls.map((i) => [i.key, prepared[i.key].forward])),
    POLICY.fwdBudgetS,
    (key, out) => {
      const o = prepared[key].output(out);
      if (o.shape.join() !== g.yShape.join()) {
        throw new Error(`bench: ${key} on ${g.id} gave shape [${o.shape}], expected [${g.yShape}]`);
      }
      outputs[key] = o.data;
    },
  );
  const ref = outputs["tc-simd"];
  const err = Object.fromEntries(impls.map((i) => [i.key, relErr(outputs[i.key], ref)]));
  // tconv3d itself is suspect when both independent ORT builds agree with each other and not with it.
  const peersAgree =
    outputs["web-t1"] !== undefined &&
    outputs["node-t1"] !== undefined &&
    relErr(outputs["web-t1"], outputs["node-t1"]) <= TOL;
  const tcWrong = peersAgree && err["node-t1"] > TOL;
  const y = outputs["tc-simd"];
  for (const k of Object.keys(outputs)) if (k !== "tc-simd") delete outputs[k];
  log(
    `  fwd: other processes ${fwd.$.foreign.toFixed(2)} cores on average, ${fwd.$.discarded} disturbed round(s) redone`,
  );
  for (const k of Object.keys(fwd)) {
    if (k === "$") continue;
    log(
      `  fwd ${k.padEnd(8)} ${ms(fwd[k].median).padStart(8)} ms  ${num(g.flops / fwd[k].median / 1e6).padStart(6)} GFLOP/s  rel.err ${sci(err[k])}  (${fwd[k].times.length} runs)`,
    );
  }

  // Backward (tconv3d only: no peer computes it).
  let bwd = null;
  let bwdCheck = null;
  if (opts.backward) {
    const grads = {};
    bwd = await alternate(
      Object.fromEntries([...TC, ...OUT].map((k) => [k, prepared[k].backward])),
      POLICY.bwdBudgetS,
      (key, out) => {
        grads[key] = out;
      },
    );
    // Checks: the three builds agree; dB = Σ dY per channel; the adjoint identities
    // <dY, Y − b> = <dX, X> = <dW, W> (Y from the forward pass checked above).
    const r = grads["tc-simd"];
    let consist = 0;
    for (const k of ["tc-t1", "tc-t2", ...OUT]) {
      consist = Math.max(
        consist,
        relErr(grads[k].dLdX.data, r.dLdX.data),
        relErr(grads[k].dLdW.data, r.dLdW.data),
        relErr(grads[k].dLdB.data, r.dLdB.data),
      );
    }
    const vox = g.out.d * g.out.h * g.out.w;
    const sumDy = new Float64Array(g.Cout);
    for (let n = 0; n < g.N; n++)
      for (let c = 0; c < g.Cout; c++) {
        let s = 0;
        const base = (n * g.Cout + c) * vox;
        for (let i = 0; i < vox; i++) s += data.dy[base + i];
        sumDy[c] += s;
      }
    const dbErr = relErr(r.dLdB.data, sumDy);
    let yb = 0;
    for (let n = 0; n < g.N; n++)
      for (let c = 0; c < g.Cout; c++) {
        const base = (n * g.Cout + c) * vox;
        let s = 0;
        for (let i = 0; i < vox; i++) s += data.dy[base + i] * (y[base + i] - data.b[c]);
        yb += s;
      }
    const dxx = dot(r.dLdX.data, data.x);
    const dww = dot(r.dLdW.data, data.w);
    const adj = Math.max(Math.abs(dxx - yb), Math.abs(dww - yb)) / Math.abs(yb);
    bwdCheck = { consist, dbErr, adj, ok: consist <= TOL && dbErr <= TOL && adj <= TOL };
    for (const k of [...TC, ...OUT]) {
      log(
        `  bwd ${k.padEnd(8)} ${ms(bwd[k].median).padStart(8)} ms  (×${(bwd[k].median / fwd[k].median).toFixed(2)} forward, ${bwd[k].times.length} runs)`,
      );
    }
    log(
      `  bwd checks: builds agree ${sci(consist)}, dB ${sci(dbErr)}, adjoint ${sci(adj)} → ${bwdCheck.ok ? "ok" : "WRONG"}`,
    );
  }
  const heap = {
    fwd: heapExtra(wasmT2, prepared["tc-t2"].forward, [g.xNumel, g.yNumel]),
    bwd: opts.backward
      ? heapExtra(wasmT2, prepared["tc-t2"].backward, [
          g.xNumel,
          g.yNumel,
          g.xNumel,
          g.wNumel,
          g.Cout,
        ])
      : null,
    // Every tensor already lives in WASM memory: all the call allocates is workspace.
    fwdWasm: heapExtra(wasmT2, prepared["tc-t2-wasm"].forward, []),
    bwdWasm: opts.backward ? heapExtra(wasmT2, prepared["tc-t2-wasm"].backward, []) : null,
  };
  log(
    `  workspace: forward ${kb(heap.fwd)} KiB, backward ${heap.bwd === null ? "–" : kb(heap.bwd)} KiB; in WASM memory ${kb(heap.fwdWasm)}, ${heap.bwdWasm === null ? "–" : kb(heap.bwdWasm)} KiB (output ${kb(4 * g.yNumel)} KiB)`,
  );
  for (const k of Object.keys(prepared)) await prepared[k].release();
  // Two passes, the builds alternated, each call's fastest over both: a burst of load on this
  // shared VM can outlast one pass's seven calls.
  let parts = null;
  if (opts.backward) {
    const all = ["forward", "dX", "dW", "dB"];
    const pass = async () => ({
      t2: await kernelParts(wasmT2, g, data, all),
      t1: await kernelParts(wasmT1, g, data, all),
      f64: await kernelParts(wasmT2, g, data, ["forward"], true),
    });
    const [a, b] = [await pass(), await pass()];
    parts = Object.fromEntries(
      Object.entries(a).map(([who, p]) => [
        who,
        Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Math.min(v, b[who][k])])),
      ]),
    );
  }
  if (parts) {
    for (const [who, p] of Object.entries(parts)) {
      log(
        `  core calls (${who}): ${Object.entries(p)
          .map(([k, v]) => `${k} ${ms(v)} ms`)
          .join(", ")}`,
      );
    }
  }

  const copyFwd = copyTime([g.xNumel], [g.yNumel]);
  const copyBwd = copyTime([g.xNumel, g.yNumel], [g.xNumel, g.wNumel, g.Cout]);
  const freshFwd = freshTime([g.yNumel]);
  const freshBwd = freshTime([g.xNumel, g.wNumel, g.Cout]);
  results.push({
    g,
    fwd,
    err,
    tcWrong,
    bwd,
    bwdCheck,
    copyFwd,
    copyBwd,
    parts,
    freshFwd,
    freshBwd,
    heap,
  });
  log(`  (${((performance.now() - tShape) / 1000).toFixed(1)} s)`);
}

// ---------------------------------------------------------------------------------------------
// Report

const durationS = (performance.now() - T_START) / 1000;
const gf = (r, k) => r.g.flops / r.fwd[k].median / 1e6;
const wrong = (r, k) => r.err[k] > TOL;
const bestTc = (r) => TC.reduce((a, b) => (r.fwd[b].median < r.fwd[a].median ? b : a));
const implName = (k) => `${byKey[k].label} t${byKey[k].threads}${byKey[k].suffix ?? ""}`;
const short = {
  "tc-simd": "simd t1",
  "tc-t1": "threads t1",
  "tc-t2": "threads t2",
  "web-t1": "web t1",
  "web-t2": "web t2",
  "node-t1": "node t1",
  "node-t2": "node t2",
};

/** Other processes' load during a shape's accepted rounds, and the rounds redone. */
const load = (d) => `${d.foreign.toFixed(2)} cores${d.discarded ? `, ${d.discarded} redone` : ""}`;

// Forward, one row per implementation and shape.
const fwdRows = [];
for (const r of results) {
  for (const k of [...TC, ...OUT, ...PEERS]) {
    const f = r.fwd[k];
    const isRef = k === "tc-simd";
    let check = wrong(r, k) ? "**wrong**" : "ok";
    if (isRef) check = r.tcWrong ? "**wrong** (both ORT builds disagree)" : "reference";
    fwdRows.push([
      r.g.id,
      implName(k),
      ms(f.median),
      `${ms(f.min)}–${ms(f.max)}`,
      f.times.length,
      num(gf(r, k)),
      isRef ? "–" : sci(r.err[k]),
      check,
    ]);
  }
}
const fwdTable = table(
  ["shape", "implementation", "ms (median)", "min–max ms", "runs", "GFLOP/s", "rel. err", "check"],
  fwdRows,
  "llrrrrrl",
);

// Speed-ups (peer time ÷ tconv3d time: > 1 means tconv3d is faster).
const speedCols = [];
for (const who of ["best", "tc-t2"]) for (const p of PEERS) speedCols.push([who, p]);
const spRows = [];
const spAll = speedCols.map(() => []);
const ceilAll = [];
const scaleAll = [];
/** t1 ÷ t2 time of the 2-thread build called in one of the `MODES`. */
const scaleOf = (times, mode) => times[`tc-t1${mode}`].median / times[`tc-t2${mode}`].median;
for (const r of results) {
  const b = bestTc(r);
  const row = [r.g.id, (r.g.flops / 1e9).toFixed(2), short[b]];
  speedCols.forEach(([who, p], j) => {
    const tcKey = who === "best" ? b : who;
    const s = r.fwd[p].median / r.fwd[tcKey].median;
    const bad = wrong(r, p) || r.tcWrong;
    if (!bad) spAll[j].push(s);
    row.push(bad ? `${ratio(s)} ✗` : ratio(s));
  });
  const ceil = MODES.map((mode) => (100 * gf(r, `tc-t2${mode}`)) / CEILING);
  const scale = MODES.map((mode) => scaleOf(r.fwd, mode));
  ceilAll.push(ceil);
  scaleAll.push(scale);
  row.push(...ceil.map(pct), ...scale.map(ratio), load(r.fwd.$));
  spRows.push(row);
}
spRows.push([
  "**geomean**",
  "",
  "",
  ...spAll.map((v) => `**${ratio(geomean(v))}**`),
  ...MODES.map((_, i) => `**${pct(geomean(ceilAll.map((c) => c[i])))}**`),
  ...MODES.map((_, i) => `**${ratio(geomean(scaleAll.map((c) => c[i])))}**`),
  "",
]);
const spTable = table(
  [
    "shape",
    "GFLOP",
    "best tconv3d",
    ...speedCols.map(([who, p]) => `${who === "best" ? "best" : "t2"} vs ${short[p]}`),
    `t2 % of ${CEILING} GF/s`,
    `t2 out % of ${CEILING} GF/s`,
    `t2 WASM % of ${CEILING} GF/s`,
    "t2 ÷ t1",
    "t2 ÷ t1, out",
    "t2 ÷ t1, WASM",
    "other procs",
  ],
  spRows,
  `lrl${"r".repeat(speedCols.length + 7)}`,
);

// Geometric means of GFLOP/s.
const geoRows = [...TC, ...OUT, ...PEERS].map((k) => {
  const v = results
    .filter((r) => !wrong(r, k) && !((TC.includes(k) || OUT.includes(k)) && r.tcWrong))
    .map((r) => gf(r, k));
  return [implName(k), num(geomean(v)), `${v.length}/${results.length}`];
});
const geoTable = table(["implementation", "geomean GFLOP/s (forward)", "shapes"], geoRows);

// Backward.
let bwdTable = "";
if (opts.backward) {
  const rows = [];
  const BWD = [...TC, "tc-t2-out", "tc-t2-wasm"];
  const rAll = Object.fromEntries(BWD.map((k) => [k, []]));
  const sAll = MODES.map(() => []);
  for (const r of results) {
    const bt = (k) => r.bwd[k].median;
    const row = [r.g.id];
    for (const k of BWD) row.push(ms(bt(k)));
    row.push(num((2 * r.g.flops) / bt("tc-t2") / 1e6));
    for (const k of BWD) {
      const q = bt(k) / r.fwd[k].median;
      rAll[k].push(q);
      row.push(k.startsWith("tc-t2") && q > 2.5 ? `${ratio(q)} ⚠` : ratio(q));
    }
    const s = MODES.map((mode) => scaleOf(r.bwd, mode));
    for (const [i, v] of s.entries()) sAll[i].push(v);
    row.push(...s.map(ratio));
    row.push(pct((100 * r.copyFwd) / r.fwd["tc-t2"].median), pct((100 * r.copyBwd) / bt("tc-t2")));
    const c = r.bwdCheck;
    row.push(`${c.ok ? "ok" : "**wrong**"} (${sci(Math.max(c.consist, c.dbErr, c.adj))})`);
    row.push(load(r.bwd.$));
    rows.push(row);
  }
  rows.push([
    "**geomean**",
    ...BWD.map(() => ""),
    "",
    ...BWD.map((k) => `**${ratio(geomean(rAll[k]))}**`),
    ...sAll.map((v) => `**${ratio(geomean(v))}**`),
    "",
    "",
    "",
    "",
  ]);
  bwdTable = table(
    [
      "shape",
      "bwd ms simd t1",
      "bwd ms threads t1",
      "bwd ms threads t2",
      "bwd ms t2, out",
      "bwd ms t2, WASM",
      "bwd GFLOP/s t2",
      "bwd ÷ fwd simd t1",
      "bwd ÷ fwd threads t1",
      "bwd ÷ fwd t2 (≤ 2.5×)",
      "bwd ÷ fwd t2, out",
      "bwd ÷ fwd t2, WASM",
      "bwd t2 ÷ t1",
      "bwd t2 ÷ t1, out",
      "bwd t2 ÷ t1, WASM",
      "copy share fwd t2 (est.)",
      "copy share bwd t2 (est.)",
      "check",
      "other procs",
    ],
    rows,
  );
}

/** The core's calls alone (2-thread instance unless said): times and ratios. */
const core = (r) => {
  const bwd = (p) => p.dX + p.dW + p.dB;
  const [t1, t2] = [r.parts.t1, r.parts.t2];
  return {
    fwd: t2.forward,
    bwd: bwd(t2),
    fwdScale: t1.forward / t2.forward,
    bwdScale: bwd(t1) / bwd(t2),
    f64: t2.forward / r.parts.f64.forward,
  };
};

// Where the 2-thread build's time goes: the core's calls alone, and new JS output arrays.
let partsTable = "";
if (opts.backward) {
  const rows = results.map((r) => {
    const c = core(r);
    return [
      r.g.id,
      ms(r.fwd["tc-t2"].median),
      ms(c.fwd),
      num(r.g.flops / c.fwd / 1e6),
      ratio(c.fwdScale),
      ms(r.freshFwd),
      ms(r.bwd["tc-t2"].median),
      ms(r.parts.t2.dX),
      ms(r.parts.t2.dW),
      ms(r.parts.t2.dB),
      ratio(c.bwdScale),
      ms(r.freshBwd),
      ratio(c.bwd / c.fwd),
      ratio(c.f64),
    ];
  });
  partsTable = table(
    [
      "shape",
      "fwd end-to-end ms",
      "core forward ms",
      "core forward GFLOP/s",
      "core fwd t2 ÷ t1",
      "new Y array ms",
      "bwd end-to-end ms",
      "core dX ms",
      "core dW ms",
      "core dB ms",
      "core bwd t2 ÷ t1",
      "new dX, dW, dB arrays ms",
      "core bwd ÷ core fwd",
      "core f64 ÷ f32 GFLOP/s",
    ],
    rows,
  );
}

// f64 against f32, both on the 2-thread build.
// Workspace: WASM heap a call takes beyond its inputs, outputs and the cached plans, against
// the output size: Y for the forward; for the backward, its largest tensors, dLdY (Y's size)
// or the gradients dX, dW, dB (gan-a's weight gradient is 64 times its Y).
const share = (bytes, elements) => (100 * bytes) / (4 * elements);
const bwdOut = (r) => r.g.xNumel + r.g.wNumel + r.g.Cout;
const bwdRef = (r) => Math.max(r.g.yNumel, bwdOut(r));
const memTable = table(
  [
    "shape",
    "Y KiB",
    "forward workspace KiB",
    "% of Y",
    "dX + dW + dB KiB",
    "backward workspace KiB",
    "% of dX + dW + dB",
    "% of Y",
    "backward: % of the larger",
    "in WASM memory: forward KiB",
    "% of Y",
    "backward KiB",
    "% of the larger",
  ],
  results.map((r) => {
    const b = r.heap.bwd;
    const bw = r.heap.bwdWasm;
    return [
      r.g.id,
      kb(4 * r.g.yNumel),
      kb(r.heap.fwd),
      pct(share(r.heap.fwd, r.g.yNumel)),
      kb(4 * bwdOut(r)),
      b === null ? "–" : kb(b),
      b === null ? "–" : pct(share(b, bwdOut(r))),
      b === null ? "–" : pct(share(b, r.g.yNumel)),
      b === null ? "–" : pct(share(b, bwdRef(r))),
      kb(r.heap.fwdWasm),
      pct(share(r.heap.fwdWasm, r.g.yNumel)),
      bw === null ? "–" : kb(bw),
      bw === null ? "–" : pct(share(bw, bwdRef(r))),
    ];
  }),
);

const F64 = "tc-t2-f64";
/** f64 ÷ f32 GFLOP/s, both called in one of the `MODES`. */
const f64Ratio = (r, mode) => gf(r, `${F64}${mode}`) / gf(r, `tc-t2${mode}`);
const f64Keys = MODES.map((mode) => `${F64}${mode}`);
const f64Rows = results.map((r) => [
  r.g.id,
  ms(r.fwd[F64].median),
  num(gf(r, F64)),
  num(gf(r, "tc-t2")),
  ratio(f64Ratio(r, "")),
  ms(r.fwd[`${F64}-out`].median),
  ratio(f64Ratio(r, "-out")),
  ms(r.fwd[`${F64}-wasm`].median),
  ratio(f64Ratio(r, "-wasm")),
  f64Keys.some((k) => wrong(r, k))
    ? `**wrong** (${sci(Math.max(...f64Keys.map((k) => r.err[k])))})`
    : sci(Math.max(...f64Keys.map((k) => r.err[k]))),
]);
const f64Table = table(
  [
    "shape",
    "f64 ms",
    "f64 GFLOP/s",
    "f32 GFLOP/s",
    "f64 ÷ f32",
    "f64 ms, out",
    "f64 ÷ f32, both out",
    "f64 ms, WASM",
    "f64 ÷ f32, both in WASM memory",
    "rel. err vs f32 simd",
  ],
  f64Rows,
);

// The relaxed-SIMD build against the plain one, both 2 threads.
const RELAXED = "tc-t2-relaxed";
const relaxedTable = byKey[RELAXED]
  ? table(
      [
        "shape",
        "relaxed ms",
        "relaxed GFLOP/s",
        "plain GFLOP/s",
        "relaxed vs plain",
        "relaxed vs web t2",
        "rel. err vs f32 simd",
      ],
      results.map((r) => [
        r.g.id,
        ms(r.fwd[RELAXED].median),
        num(gf(r, RELAXED)),
        num(gf(r, "tc-t2")),
        ratio(r.fwd["tc-t2"].median / r.fwd[RELAXED].median),
        ratio(r.fwd["web-t2"].median / r.fwd[RELAXED].median),
        wrong(r, RELAXED) ? `**wrong** (${sci(r.err[RELAXED])})` : sci(r.err[RELAXED]),
      ]),
    )
  : "Not run: this runtime lacks relaxed SIMD (Node 20 needs `--experimental-wasm-relaxed-simd`, which `pnpm bench` passes).";

// Targets of docs/performance.md, evaluated on this run.
const targetRows = [];
/** A pointer to the profiles behind a missed target's limits (`pnpm run profile` writes them). */
const profiled = (rs, miss, what = "instruction-level profiles") =>
  rs.some(miss) ? `; ${what}: PROFILES.md (\`pnpm run profile\`)` : "";

/** For each shape that misses, `explain(r)`, joined; "" when none misses. */
const limits = (rs, missed, explain) =>
  rs
    .filter(missed)
    .map((r) => `${r.g.id}: ${explain(r)}`)
    .join("; ");
const haveParts = opts.backward;
/** ` (missed: a, b)` naming the shapes that miss, or nothing. */
const misses = (rs, missed) => {
  const ids = rs.filter(missed).map((r) => r.g.id);
  return ids.length ? ` (missed: ${ids.join(", ")})` : "";
};
const MODE_NAMES = { "-out": "outputs reused", "-wasm": "in WASM memory" };
const MET_WITH = { "-out": "with outputs reused", "-wasm": "with tensors in WASM memory" };
/**
 * A target measured in each of the `MODES` on the shapes `rs`: `value(r, mode)` against
 * `limit` (`worst` is Math.min for a floor, Math.max for a cap). Returns the row's "this run"
 * text (the worst value and the shapes that miss, per mode) and "met": "yes" when met with
 * new arrays, else the first mode that meets it ("with outputs reused", "in WASM memory"),
 * else "no".
 */
function perMode(rs, value, worst, limit, fmt) {
  const miss = (mode) => (r) =>
    worst === Math.min ? value(r, mode) < limit : value(r, mode) > limit;
  const text = MODES.map((mode, i) => {
    const w = worst(...rs.map((r) => value(r, mode)));
    const label = worst === Math.min ? "min" : "max";
    return `${i ? `${MODE_NAMES[mode]}: ` : ""}${label} ${fmt(w)}${misses(rs, miss(mode))}`;
  }).join("; ");
  const first = MODES.findIndex((mode) => !rs.some(miss(mode)));
  const met = first < 0 ? "no" : first === 0 ? "yes" : MET_WITH[MODES[first]];
  return { text, met, miss: miss("") };
}
{
  const jWebT2 = speedCols.findIndex(([w, p]) => w === "tc-t2" && p === "web-t2");
  const jNodeT2 = speedCols.findIndex(([w, p]) => w === "tc-t2" && p === "node-t2");
  const minWeb = Math.min(...results.map((r) => r.fwd["web-t2"].median / r.fwd["tc-t2"].median));
  const gWeb = geomean(spAll[jWebT2]);
  const missWeb = (r) => r.fwd["web-t2"].median / r.fwd["tc-t2"].median < 2;
  targetRows.push([
    "forward t2 ≥ 2× ort-web t2 on every shape",
    `min ${ratio(minWeb)}${misses(results, missWeb)}`,
    minWeb >= 2 ? "yes" : "no",
    haveParts
      ? limits(
          results,
          missWeb,
          (r) =>
            `ort-web t2 ${ms(r.fwd["web-t2"].median)} ms; ours ${ms(r.fwd["tc-t2"].median)} ms, of which the core ${ms(core(r).fwd)} ms and a new Y array ${ms(r.freshFwd)} ms; fastest runs ${ratio(r.fwd["web-t2"].min / r.fwd["tc-t2"].min)} (ours ${ms(r.fwd["tc-t2"].min)}–${ms(r.fwd["tc-t2"].max)} ms, ort-web ${ms(r.fwd["web-t2"].min)}–${ms(r.fwd["web-t2"].max)} ms)`,
        ) + profiled(results, missWeb)
      : "",
  ]);
  targetRows.push([
    "forward t2 ≥ 4× ort-web t2, geomean",
    ratio(gWeb),
    gWeb >= 4 ? "yes" : "no",
    "",
  ]);
  const big = results.filter((r) =>
    ["gan-a", "gan-b", "gan-c", "unet-a", "unet-b"].includes(r.g.id),
  );
  if (big.length) {
    const t = perMode(big, (r, mode) => (100 * gf(r, `tc-t2${mode}`)) / CEILING, Math.min, 60, pct);
    targetRows.push([
      `forward t2 ≥ 60% of ${CEILING} GFLOP/s on gan-a/b/c, unet-a/b`,
      t.text,
      t.met,
      haveParts
        ? limits(
            big,
            t.miss,
            (r) =>
              `core alone ${pct((100 * r.g.flops) / core(r).fwd / 1e6 / CEILING)}; new Y array ${ms(r.freshFwd)} of ${ms(r.fwd["tc-t2"].median)} ms`,
          ) + profiled(big, t.miss)
        : "",
    ]);
  }
  const gNode = geomean(spAll[jNodeT2]);
  targetRows.push([
    "forward t2 geomean ≥ ort-node t2 (native)",
    ratio(gNode),
    gNode >= 1 ? "yes" : "no",
    "",
  ]);
  if (opts.backward) {
    const q = (r, mode) => r.bwd[`tc-t2${mode}`].median / r.fwd[`tc-t2${mode}`].median;
    const t = perMode(results, q, Math.max, 2.5, ratio);
    targetRows.push([
      "backward ≤ 2.5× forward (t2)",
      t.text,
      t.met,
      limits(
        results,
        t.miss,
        (r) =>
          `core bwd ÷ fwd ${ratio(core(r).bwd / core(r).fwd)}; new dX, dW, dB arrays ${ms(r.freshBwd)} of ${ms(r.bwd["tc-t2"].median)} ms`,
      ) + profiled(results, t.miss),
    ]);
  }
  const tf = perMode(results, f64Ratio, Math.min, 0.5, ratio);
  const missF64 = tf.miss;
  targetRows.push([
    "f64 ≥ ½ the f32 GFLOP/s (forward t2)",
    tf.text,
    tf.met,
    haveParts
      ? `${limits(results, missF64, (r) => `core ${ratio(core(r).f64)}; new Y array f32 ${ms(r.freshFwd)} ms`)}${results.some(missF64) ? " (SIMD128 holds 2 f64 or 4 f32: half the multiply-adds per instruction; f64 arrays are twice the bytes)" : ""}${profiled(results, missF64)}`
      : "",
  ]);
  const large = results.filter((r) => r.g.flops >= 1e9);
  if (large.length) {
    for (const [what, pick] of [
      ["forward", (r) => r.fwd],
      ["backward", (r) => r.bwd],
    ]) {
      if (what === "backward" && !opts.backward) continue;
      const t = perMode(large, (r, mode) => scaleOf(pick(r), mode), Math.min, 1.8, ratio);
      const fwd = what === "forward";
      targetRows.push([
        `2 threads ≥ 1.8× 1 thread (${what}, shapes ≥ 1 GFLOP)`,
        t.text,
        t.met,
        haveParts
          ? limits(
              large,
              t.miss,
              (r) =>
                `core ${ratio(fwd ? core(r).fwdScale : core(r).bwdScale)}; fastest runs ${ratio(pick(r)["tc-t1"].min / pick(r)["tc-t2"].min)} (t2 ${ms(pick(r)["tc-t2"].min)}–${ms(pick(r)["tc-t2"].max)} ms, t1 ${ms(pick(r)["tc-t1"].min)}–${ms(pick(r)["tc-t1"].max)} ms); t2 calls kept ${num(pick(r)["tc-t2"].busy)} cores busy, t1 ${num(pick(r)["tc-t1"].busy)} (median CPU time ÷ wall time); one thread's new arrays ${ms(fwd ? r.freshFwd : r.freshBwd)} ms`,
            ) +
            profiled(
              large,
              t.miss,
              "CPU time per function at 1 and 2 threads, “Two threads against one”",
            )
          : "",
      ]);
    }
    const worst = (r) =>
      Math.max(
        share(r.heap.fwd, r.g.yNumel),
        r.heap.bwd === null ? 0 : share(r.heap.bwd, bwdRef(r)),
      );
    const worstWasm = (r) =>
      Math.max(
        share(r.heap.fwdWasm, r.g.yNumel),
        r.heap.bwdWasm === null ? 0 : share(r.heap.bwdWasm, bwdRef(r)),
      );
    const maxMem = Math.max(...results.map(worst));
    const maxWasm = Math.max(...results.map(worstWasm));
    targetRows.push([
      "workspace (WASM heap beyond inputs, outputs, packed weights) ≤ 10% of the output size (forward: Y; backward: the larger of Y (= dLdY) and dX + dW + dB)",
      `max ${pct(maxMem)}${misses(results, (r) => worst(r) > 10)}; in WASM memory: max ${pct(maxWasm)}${misses(results, (r) => worstWasm(r) > 10)}`,
      maxMem <= 10 ? "yes" : "no",
      maxWasm > 10
        ? "in WASM memory the kernels' own copy of an input (channels-last, padded) is workspace, where with JS arrays it replaces the copy across the boundary"
        : "",
    ]);
    const maxCopy = Math.max(...large.map((r) => (100 * r.copyFwd) / r.fwd["tc-t2"].median));
    targetRows.push([
      "JS↔WASM copy ≤ 5% of end-to-end (forward t2, shapes ≥ 1 GFLOP, estimate), or tensors that live in WASM memory",
      `max ${pct(maxCopy)}; in WASM memory: none (WasmArray inputs and outputs are read and written where they are)`,
      maxCopy <= 5 ? "yes" : "with tensors in WASM memory",
      "",
    ]);
  }
}
const targetTable = table(
  ["target (docs/performance.md)", "this run", "met", "what limits the shapes that miss"],
  targetRows,
  "llll",
);

const cpu = cpuInfo();
const buildAtEnd = BUILT.map(wasmBuildInfo).join("; ");
const buildChanged = !buildAtStart.endsWith(buildAtEnd);
const when = new Date().toISOString().replace(/\.\d+Z$/, "Z");
const header = `# tconv3d benchmarks

Generated by \`bench/run.mjs\` — **do not edit by hand**; rerun the command below to refresh.

- Command: \`${command}\`${opts.quick ? " (quick: a smoke test, fewer repetitions)" : ""}
- Date: ${when}; run time ${durationS.toFixed(0)} s
- Machine: ${cpu.model} (${cpu.flags || "flags unknown"}), ${os.availableParallelism()} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}
- Node ${process.version} (V8 ${process.versions.v8})
- Other processes on this (shared) machine: ${stats.startLoad.toFixed(2)} cores busy at the start (after waiting up to ${maxWait} s for quiet); ${(stats.foreign.reduce((a, b) => a + b, 0) / Math.max(1, stats.foreign.length)).toFixed(2)} cores on average during the timed rounds; ${stats.discarded} disturbed round(s) discarded and redone
- tconv3d: ${buildAtStart}; relaxed-SIMD row ${byKey[RELAXED] ? "run" : "not run (runtime lacks relaxed SIMD)"}${buildChanged ? `\n- **Warning:** the wasm build changed on disk during the run (now: ${buildAtEnd}); the figures are those of the build loaded at the start` : ""}
- Peers: onnxruntime-web ${pkgVersion("onnxruntime-web")} (its WASM SIMD build; \`ort.env.wasm.numThreads\` 1 or 2), onnxruntime-node ${pkgVersion("onnxruntime-node")} (native CPU provider; \`intraOpNumThreads\` 1 or 2)
- Shapes: \`${relative(ROOT, shapesFile)}\`${opts.shapes ? ` (selected: ${opts.shapes.join(", ")})` : ""}; FLOPs = 2·N·Cin·Cout·kD·kH·kW·D·H·W (input voxels)`;

const method = `## Method

- **One process, alternating.** All implementations live in one Node process. For every
  shape each one is warmed up (${POLICY.warmup} call${POLICY.warmup > 1 ? "s; one if the first took over 1 s" : ""}), then timed in rounds in which
  every implementation runs once, the order rotated each round; the table gives the median
  (and min–max) of the rounds. Rounds: at least ${POLICY.minReps}, more for fast shapes while a budget of
  ${POLICY.fwdBudgetS} s (forward) / ${POLICY.bwdBudgetS} s (backward) per shape lasts, at most ${POLICY.maxReps}. Before each timed call (not timed): a
  full GC and a ${SETTLE_MS} ms pause so that the previous implementation's pool threads are idle.
- **Shared machine.** Other processes' CPU use is tracked during every round (machine-wide busy
  time from \`/proc/stat\` minus this process's \`process.cpuUsage()\`): a round during which they kept
  more than 0.15 of a core busy is discarded and redone after waiting for quiet (at most
  max(rounds, 10) times per shape and phase, none after ${POLICY.softLimitS} s of run time). "other procs" gives
  their average load over the accepted rounds and how many rounds were redone; the run first
  waits (at most ${maxWait} s) for the machine to be quiet. Each timed call's CPU time (every
  thread of this process) ÷ its wall time is kept as well: the 2-thread target's "what limits"
  gives its median, the cores the call kept busy (near 2 for a 2-thread call whose threads
  never waited, yet slower than its fastest run when this VM's cores ran slower).
- **What is timed:** one end-to-end call on JS \`Float32Array\`s, input already in memory, output
  returned as a JS array: \`layer.predict(X)\` (\`X = fromNCDHW(x, [N,C,D,H,W])\`, a layer built
  with the same weights and bias, so its packed weights are cached as in real use) and
  \`layer.backward(X, dLdY)\`; \`session.run({ x })\` for ORT (one \`ConvTranspose\` node, opset 17,
  weights and bias as initializers, \`graphOptimizationLevel: "all"\`). Copies between JS and
  WASM memory are inside every implementation's time.
- **Outputs reused ("out"):** the same 2-thread build called as a training loop or a repeated
  inference calls it, \`layer.predict(X, { out: Y })\` and \`layer.backward(X, dLdY, { out: grads })\`
  with \`Y\` and \`grads\` from an earlier call: the same work and copies, without the first
  touch of new arrays' memory. The targets name this when only these calls meet them ("with
  outputs reused" in the "met" column); the peers' rows always return new arrays.
- **In WASM memory ("WASM"):** the same build with every tensor a \`WasmArray\` (\`wasmArray\`:
  a dlarray whose elements live in WASM memory), filled before timing; outputs reused as
  above. The kernels read and write them where they are, so nothing crosses the JS↔WASM
  boundary; what remains outside the core is reordering an input into the layout its kernel
  reads. A user keeps tensors there across layers or calls. The targets name this mode ("with
  tensors in WASM memory" in the "met" column) when only these calls meet them.
- **Several instances of one runtime.** \`init()\` is a per-module singleton, and so is
  onnxruntime-web's \`env.wasm.numThreads\` (its WASM module and thread pool are created once).
  The script registers Node module hooks (\`bench/lib/hooks.mjs\`) that carry a \`?benchInst=NAME\`
  query from a module to everything it imports; ES modules are keyed by URL, so
  \`import("…/tconv3d/dist/index.js?benchInst=NAME")\` yields a complete private copy of the module
  graph: its own loader state, wasm-bindgen glue, \`WebAssembly.Memory\` and (for simd-threads)
  rayon pool of worker_threads. The same gives two independent onnxruntime-web instances (with
  their own onnxruntime-common and \`env\`), one with 1 and one with 2 threads. So all of
  \`simd\` (1 thread), \`simd-threads\` with 1 and with 2 threads, ort-web 1 and 2 threads run side by
  side, as the user-facing API loads them, with no change to the package. onnxruntime-node takes
  the thread count per session. The idle pools of the other instances sleep (rayon workers block
  in \`memory.atomic.wait32\`), and the pause before each call lets spinning threads settle.
- **Correctness before timing.** The first forward output of every implementation is compared
  with tconv3d \`simd\`'s: rel. err = max |y − y_simd| / max |y_simd|; above ${TOL} the row is marked
  **wrong** (and left out of geomeans). If both ORT builds agree with each other but not with
  tconv3d, tconv3d's row says so. Backward (no peer computes it): the three builds must agree,
  dB must equal Σ dLdY per channel, and the adjoint identities ⟨dLdY, Y − b⟩ = ⟨dLdX, X⟩ =
  ⟨dLdW, W⟩ must hold (f64 sums), all within ${TOL} relative; the column shows the largest deviation.
- **Ratios** are speed-ups: peer time ÷ tconv3d time (above 1×: tconv3d is faster); "best" is the
  fastest of the three tconv3d builds for that shape, "t2" is \`simd-threads\` with 2 threads.
  ✗ marks a pair where one side is wrong (left out of the geomean). The ceiling is
  ${CEILING_CORES} × ${CEILING_PER_CORE} GFLOP/s = ${CEILING} GFLOP/s, the SIMD128 mul+add microbenchmark of docs/performance.md on this kind of machine (not re-measured here).
- **Backward** (\`layer.backward\`) returns dX, dW and dB together (the API has no separate
  entry points), so it is timed as a whole; "bwd ÷ fwd" divides by the same build's forward
  median of the table above (target ≤ 2.5×, ⚠ when over). "bwd GFLOP/s" counts 2 × the forward
  FLOPs (dX and dW each cost one forward; dB is negligible).
- **Copy share (estimate):** the median time of \`Float32Array.prototype.set\` of the same number of
  floats that cross the boundary (forward: X in, Y out; backward: X and dLdY in, dX, dW and dB
  out) between JS arrays and a \`SharedArrayBuffer\`, divided by the end-to-end time of the 2-thread
  build. It is a lower bound on what staging the data costs (allocation of the outputs not included).
- **Where the time goes:** "core" times one call of the WASM core on data already in WASM
  memory (channels-last, X in the forward plan's own layout; fastest of 7 calls in each of two
  passes that alternate the 1- and 2-thread builds), for forward, dX, dW
  and dB separately, which \`layer.backward\` runs together. "new … array(s)" is the median time
  of allocating new JS \`Float32Array\`s of the outputs' sizes and filling them from a
  \`SharedArrayBuffer\` (after a full GC): the first touch of fresh pages that returning new JS
  arrays costs whatever the copy (in this VM a page fault costs microseconds). End-to-end
  minus core is the boundary: reordering the inputs into WASM memory, the new arrays, the copy.
- **Workspace memory:** the WASM heap's peak during one end-to-end call of the 2-thread build
  (a counting allocator, \`heap_stats\`), minus the heap before it and minus f32 copies of the
  call's inputs and outputs (forward: X, Y; backward: X, dLdY, dX, dW, dB); the plans (packed
  weights) exist before the call. So it counts any padding of the input copy and every
  scratch buffer, against the target's "extra memory beyond inputs, outputs and packed weights",
  as a share of the output size: Y for the forward; for the backward the larger of Y (the size
  of its input dLdY) and its outputs dX + dW + dB (both shares are shown too).
- **f64:** the same layer and data in double precision (X, weights and bias \`Float64Array\`),
  timed in the same forward rounds; GFLOP/s against the f32 2-thread build's.`;

const sections = [
  header,
  `## Forward (f32)\n\n${fwdTable}`,
  `## Forward speed-ups (peer time ÷ tconv3d time)\n\n${spTable}`,
  `## Geometric means\n\n${geoTable}`,
  opts.backward ? `## Backward (f32, tconv3d only)\n\n${bwdTable}` : "",
  opts.backward ? `## Where the time goes (f32, simd-threads, 2 threads)\n\n${partsTable}` : "",
  `## Workspace memory (f32, simd-threads, 2 threads)\n\n${memTable}`,
  `## f64 forward (simd-threads, 2 threads)\n\n${f64Table}`,
  `## Relaxed SIMD forward (simd-threads-relaxed, 2 threads)\n\n${relaxedTable}`,
  `## Targets\n\n${targetTable}`,
  method,
].filter(Boolean);
const doc = `${sections.join("\n\n")}\n`;

console.log(doc);
if (opts.out) {
  // Sections other scripts own (bench/async.mjs's) stay as they were.
  const previous = existsSync(opts.out) ? readFileSync(opts.out, "utf8") : "";
  writeFileSync(opts.out, carrySections(previous, doc));
  log(`bench: wrote ${relative(process.cwd(), opts.out) || opts.out} in ${durationS.toFixed(0)} s`);
}
// Pool workers (tconv3d, ORT) are unref'd or blocked; exit explicitly all the same.
process.exit(0);
