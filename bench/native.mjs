#!/usr/bin/env node

// The core's native build (the crate tconv3d-core, its portable kernels compiled for this CPU)
// against onnxruntime-node on bench/shapes.json: forward, 1 and 2 threads. Not a test: it
// measures, writes bench/results/native.json and renders its section of BENCHMARKS.md from it
// (bench/lib/report-native.mjs).
//
//   pnpm bench:native                          measures, writes both
//   pnpm bench:native -- --quick --out -       fewer runs, print only
//
// Flags: --shapes a,b (ids from bench/shapes.json; default all), --quick (fewer rounds),
// --out FILE ("-" prints only), --results FILE (none with --out -), --max-wait SECONDS (wait
// for a quiet machine first; default 60; --quick: 5).
//
// The Rust side is a server process (crates/tconv3d-core/benches/native.rs) built twice, for
// the baseline x86-64 (SSE2) and with `-C target-cpu=native`; each timed call is one request
// to it, so a call's time includes a pipe round trip (tens of microseconds). onnxruntime-node
// runs in this process; the three alternate round by round (bench/lib/timing.mjs).

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { eachFlag, printUsage } from "./lib/args.mjs";
import { relErr, TOL } from "./lib/checks.mjs";
import { shapeData } from "./lib/core.mjs";
import { cpuInfo, gitInfo, pkgVersion } from "./lib/environment.mjs";
import { loadGeometry, SHAPES_FILE } from "./lib/geometry.mjs";
import { ortNodeImpl } from "./lib/implementations.mjs";
import { waitQuiet } from "./lib/load.mjs";
import { renderNative } from "./lib/report-native.mjs";
import { NATIVE_RESULTS, readTimedResults, writeTimedResults } from "./lib/results.mjs";
import { writeSection } from "./lib/sections.mjs";
import { alternate } from "./lib/timing.mjs";

const ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), "..");
const log = (...a) => console.error(...a);

/** The two native builds: RUSTFLAGS of each. */
export const BUILDS = { portable: "", native: "-C target-cpu=native" };

const POLICIES = {
  quick: { warmup: 1, minReps: 3, maxReps: 5, fwdBudgetS: 1.5, softLimitS: 120 },
  full: { warmup: 2, minReps: 5, maxReps: 25, fwdBudgetS: 8, softLimitS: 420 },
};

function parseArgs(argv) {
  const o = { shapes: null, quick: false, out: join(ROOT, "BENCHMARKS.md"), results: undefined };
  eachFlag(argv, "bench:native", (flag, value, path) => {
    if (flag === "--quick") o.quick = true;
    else if (flag === "--shapes") o.shapes = value().split(",");
    else if (flag === "--out") o.out = path();
    else if (flag === "--results") o.results = path();
    else if (flag === "--max-wait") o.maxWait = Number(value());
    else if (flag === "--help" || flag === "-h") printUsage(import.meta.url);
    else throw new Error(`bench:native: unknown argument ${flag} (try --help)`);
  });
  if (o.results === undefined) o.results = o.out === null ? null : NATIVE_RESULTS;
  o.maxWait ??= o.quick ? 5 : 60;
  return o;
}

/** Builds the benchmark server with `rustflags` in its own target folder; returns its path. */
function buildServer(name, rustflags) {
  log(`bench:native: building the ${name} server (RUSTFLAGS="${rustflags}")…`);
  const out = execFileSync(
    "cargo",
    [
      "bench",
      "--no-run",
      "--quiet",
      "-p",
      "tconv3d-core",
      "--features",
      "parallel",
      "--bench",
      "native",
      "--message-format=json",
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        RUSTFLAGS: rustflags,
        CARGO_TARGET_DIR: join(ROOT, "target", `native-bench-${name}`),
      },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const exe = out
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((m) => m.reason === "compiler-artifact" && m.target?.name === "native")?.executable;
  if (!exe) throw new Error(`bench:native: cargo built no executable for the ${name} server`);
  return exe;
}

/** A running server: `request(cmd)` sends one JSON line and resolves with the reply. */
function startServer(exe) {
  const child = spawn(exe, [], { stdio: ["pipe", "pipe", "inherit"] });
  const waiting = [];
  createInterface({ input: child.stdout }).on("line", (line) => waiting.shift()?.resolve(line));
  child.on("exit", (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`bench:native: server exited (${code})`));
  });
  return {
    request(cmd) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve: (line) => resolve(JSON.parse(line)), reject });
        child.stdin.write(`${JSON.stringify(cmd)}\n`);
      });
    },
    close() {
      child.stdin.end();
    },
  };
}

function rustcVersion() {
  try {
    return execFileSync("rustc", ["--version"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

const opts = parseArgs(process.argv.slice(2));
const geometry = await loadGeometry();
const policy = opts.quick ? POLICIES.quick : POLICIES.full;
const all = JSON.parse(readFileSync(SHAPES_FILE, "utf8")).shapes;
const shapes = opts.shapes
  ? opts.shapes.map((id) => {
      const s = all.find((x) => x.id === id);
      if (!s) throw new Error(`bench:native: no shape ${id} in bench/shapes.json`);
      return s;
    })
  : all;
const servers = Object.fromEntries(
  Object.entries(BUILDS).map(([name, flags]) => [name, startServer(buildServer(name, flags))]),
);
const ort = { 1: await ortNodeImpl(1), 2: await ortNodeImpl(2) };
const start = performance.now();
const run = { policy, start, stats: { discarded: 0, foreign: [] } };
log(`bench:native: waiting (at most ${opts.maxWait} s) for other processes to leave the CPU idle…`);
const startLoad = await waitQuiet(opts.maxWait);
const tmp = mkdtempSync(join(os.tmpdir(), "tconv3d-native-"));
const results = [];
try {
  for (const shape of shapes) {
    const g = geometry(shape);
    log(`\n[${g.id}] ${g.describe}, ${(g.flops / 1e9).toFixed(2)} GFLOP`);
    const { x, w } = shapeData(g, false);
    const files = { x: join(tmp, "x.bin"), w: join(tmp, "w.bin"), y: join(tmp, "y.bin") };
    writeFileSync(files.x, x);
    writeFileSync(files.w, w);
    const dhw = (v) => [v.d, v.h, v.w];
    const spec = {
      N: g.N,
      Cin: g.Cin,
      Cout: g.Cout,
      k: dhw(g.k),
      stride: dhw(g.stride),
      crop: dhw(g.crop),
      in: dhw(g.in),
    };
    for (const s of Object.values(servers)) await s.request({ op: "load", shape: spec, ...files });
    const { convTransposeModel } = await import("../test/oracle/onnx.ts");
    const model = convTransposeModel({
      x,
      xShape: g.xShape,
      w,
      wShape: g.wShape,
      strides: g.onnxStrides,
      pads: g.onnxPads,
    });
    const sessions = {};
    for (const t of [1, 2]) sessions[t] = await ort[t].prepare(g, { x, model });
    const ref = sessions[1].output(await sessions[1].forward()).data;
    // Each build's output against onnxruntime-node's before any timing counts.
    const err = {};
    for (const [name, s] of Object.entries(servers)) {
      await s.request({ op: "output", y: files.y });
      const y = new Float32Array(readFileSync(files.y).buffer.slice(0));
      err[name] = relErr(y, ref);
      if (!(err[name] <= TOL)) {
        throw new Error(
          `bench:native: the ${name} build differs from onnxruntime-node on ${g.id} (${err[name]})`,
        );
      }
    }
    const runners = {};
    for (const t of [1, 2]) {
      for (const [name, s] of Object.entries(servers)) {
        runners[`${name}-t${t}`] = () => s.request({ op: "time", threads: t, runs: 1 });
      }
      runners[`node-t${t}`] = sessions[t].forward;
    }
    const fwd = await alternate(runners, policy.fwdBudgetS, null, run);
    for (const s of Object.values(sessions)) await s.release();
    results.push({ shape, err, fwd });
    log(
      Object.entries(fwd)
        .filter(([k]) => k !== "$")
        .map(([k, v]) => `${k} ${v.median.toFixed(2)} ms`)
        .join(", "),
    );
  }
} finally {
  for (const s of Object.values(servers)) s.close();
  rmSync(tmp, { recursive: true, force: true });
}

const res = {
  date: new Date().toISOString(),
  durationS: (performance.now() - start) / 1000,
  commit: gitInfo(),
  cpu: cpuInfo(),
  cores: os.availableParallelism(),
  rustc: rustcVersion(),
  builds: BUILDS,
  ortNode: pkgVersion("onnxruntime-node"),
  policy,
  load: { start: startLoad, discarded: run.stats.discarded, foreign: run.stats.foreign },
  shapes: results,
};
if (opts.results) {
  writeTimedResults(opts.results, res);
  log(`bench:native: wrote ${relative(process.cwd(), opts.results)}`);
}
const section = renderNative(opts.results ? readTimedResults(opts.results) : res, geometry);
if (opts.out) {
  writeSection(opts.out, "bench:native", section);
  log(`bench:native: wrote ${relative(process.cwd(), opts.out)}`);
}
console.log(section);
