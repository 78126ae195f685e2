#!/usr/bin/env node

// The async API (initWorker) against the synchronous API on a page's main thread, in Chromium
// (Debian's /usr/bin/chromium through playwright-core), on one large forward of
// bench/shapes.json. Not a test: it measures, writes bench/results/async.json and renders its
// section of BENCHMARKS.md from it (bench/lib/report-async.mjs).
//
//   pnpm bench:async                                   measures, writes both
//   pnpm bench:async -- --quick --out -                fewer runs, print only
//
// Flags: --shapes a,b (ids from bench/shapes.json; default every shape of 1 GFLOP or more;
// --quick: gan-c), --reps N (default 9; --quick: 3), --out FILE ("-" prints only), --results
// FILE (none with --out -; "-" writes none), --max-wait SECONDS (wait for a quiet machine
// first; default 60).
//
// (a) Responsiveness: a 5 ms setInterval timer runs on the page; the longest gap between two
//     ticks that spans any part of a call is how long the page could not run anything (input
//     handling, rendering). Synchronous calls on the main thread, against the async API.
// (b) Scaling: the async API's call time with 1 and 2 pool threads of the same build (backends
//     side by side in one page), by value (X copied to the worker, Y transferred back) and
//     resident (X in the worker, Y written into a resident array): each call alone after a
//     20 ms pause (calls alternated), and back to back (a block of calls in a row, the pool's
//     threads never idle); and the synchronous API on the page's main thread for contrast.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM, launchChromium } from "../test/browser/launch.mjs";
import { serveIsolated } from "../test/browser/server.mjs";
import { eachFlag, printUsage } from "./lib/args.mjs";
import { loadGeometry, SHAPES_FILE } from "./lib/geometry.mjs";
import { renderAsync } from "./lib/report-async.mjs";
import { ASYNC_RESULTS, readResults, writeResults } from "./lib/results.mjs";
import { writeSection } from "./lib/sections.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolvePath(HERE, "..");
const THREADED = "simd-threads-relaxed";
const SINGLE = "simd-relaxed";

function parseArgs(argv) {
  const o = {
    shapes: null,
    reps: null,
    quick: false,
    out: join(HERE, "..", "BENCHMARKS.md"),
    results: undefined,
    maxWait: 60,
  };
  eachFlag(argv, "bench:async", (flag, value, path) => {
    if (flag === "--quick") o.quick = true;
    else if (flag === "--shapes") o.shapes = value().split(",");
    else if (flag === "--reps") o.reps = Number(value());
    else if (flag === "--out") o.out = path();
    else if (flag === "--results") o.results = path();
    else if (flag === "--max-wait") o.maxWait = Number(value());
    else if (flag === "--help" || flag === "-h") printUsage(import.meta.url);
    else throw new Error(`bench:async: unknown argument ${flag}`);
  });
  // Printing only (--out -) writes no results either, unless asked to.
  if (o.results === undefined) o.results = o.out === null ? null : ASYNC_RESULTS;
  o.reps ??= o.quick ? 3 : 9;
  if (o.quick) o.shapes ??= ["gan-c"];
  if (!(Number.isInteger(o.reps) && o.reps >= 1))
    throw new Error("bench:async: --reps must be a positive integer");
  return o;
}

/** Machine-wide busy CPU time from /proc/stat, in ms (USER_HZ = 100). */
function busyMs() {
  try {
    const v = readFileSync("/proc/stat", "utf8")
      .split("\n")[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (v.reduce((a, b) => a + b, 0) - v[3] - v[4]) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (ms) of process `root` and its descendants, from /proc. */
function treeCpuMs(root) {
  const stats = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const text = readFileSync(`/proc/${d}/stat`, "utf8");
      // Fields after the parenthesised command: state ppid ... utime(14) stime(15).
      const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) * 10 });
    } catch {
      // The process ended meanwhile.
    }
  }
  const inTree = (pid) => {
    for (let p = pid, n = 0; p > 1 && n < 64; n++) {
      if (p === root) return true;
      p = stats.get(p)?.ppid ?? 0;
    }
    return false;
  };
  let sum = 0;
  for (const [pid, s] of stats) if (inTree(pid)) sum += s.cpu;
  return sum;
}

/** CPU use from here on: `done()` gives the cores other processes (not this one nor its
 * descendants, Chromium's processes) kept busy meanwhile, on average. */
function foreignMeter() {
  const a = { m: busyMs(), t: treeCpuMs(process.pid), w: performance.now() };
  return () => {
    const wall = performance.now() - a.w;
    const other = busyMs() - a.m - (treeCpuMs(process.pid) - a.t);
    return Math.max(0, other) / wall;
  };
}

/** Cores kept busy over the next `ms` milliseconds (by anyone). */
async function busyCores(ms_) {
  const a = busyMs();
  await new Promise((r) => setTimeout(r, ms_));
  return (busyMs() - a) / ms_;
}

/** Waits (at most `maxWait` s) until the machine is quiet; returns the last reading. */
async function waitForQuiet(maxWait) {
  const end = Date.now() + maxWait * 1000;
  let cores = await busyCores(1000);
  while (cores > 0.15 && Date.now() < end) cores = await busyCores(1000);
  return cores;
}

async function openPage(browser, origin, g) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // The package's warnings (a fallback to one thread) would void the figures.
  page.on("console", (m) => {
    if (m.text().includes("tconv3d")) errors.push(m.text());
  });
  await page.goto(`${origin}/bench/async/page.html`);
  await page.waitForFunction(() => window.bench?.ready === true);
  await page.evaluate((geom) => window.bench.prepare(geom), g);
  return { page, errors };
}

/** Calls per back-to-back block (the first is not counted). */
const BLOCK = 4;

/** Other processes' load above which a round is discarded and redone. */
const FOREIGN_MAX = 0.15;

/**
 * Runs `round()` `reps` times; a round during which other processes kept more than
 * FOREIGN_MAX cores busy is discarded and redone (after waiting for quiet), at most `reps`
 * times in all. Returns the kept rounds' results and the bookkeeping.
 */
async function rounds(ctx, reps, round) {
  const kept = [];
  let discarded = 0;
  while (kept.length < reps) {
    const done = foreignMeter();
    const result = await round();
    const foreign = done();
    ctx.foreign.push(foreign);
    if (foreign > FOREIGN_MAX && discarded < reps) {
      discarded++;
      ctx.discarded++;
      await waitForQuiet(Math.min(30, ctx.maxWait));
      continue;
    }
    kept.push(result);
  }
  return kept;
}

const measure = (page, kind, timer) =>
  page.evaluate(([k, t]) => window.bench.measure(k, t), [kind, timer]);

/** The synchronous API on a page's main thread with `threads` threads: times and gaps. */
async function syncPage(ctx, browser, origin, g, threads, reps) {
  const { page, errors } = await openPage(browser, origin, g);
  try {
    const info = await page.evaluate((o) => window.bench.syncSetup(o), {
      variant: THREADED,
      threads,
    });
    for (let i = 0; i < 2; i++) await measure(page, "sync", false);
    const kept = await rounds(ctx, reps, async () => ({
      ms: (await measure(page, "sync", false)).ms,
      gap: (await measure(page, "sync", true)).gap,
    }));
    if (errors.length > 0) throw new Error(`page errors: ${errors.join("; ")}`);
    return { info, times: kept.map((k) => k.ms), gaps: kept.map((k) => k.gap) };
  } finally {
    await page.close();
  }
}

/** The async API: backends with 1 and 2 threads of the threaded build and one of the
 * single-threaded build, in one page, calls alternated. */
async function asyncPage(ctx, browser, origin, g, reps) {
  const { page, errors } = await openPage(browser, origin, g);
  try {
    const setup = (key, options) =>
      page.evaluate(([k, o]) => window.bench.asyncSetup(k, o), [key, options]);
    const infos = {
      t1: await setup("t1", { variant: THREADED, threads: 1 }),
      t2: await setup("t2", { variant: THREADED, threads: 2 }),
      s1: await setup("s1", { variant: SINGLE, threads: 1 }),
    };
    const agree = await page.evaluate(() => window.bench.agree("t1", "t2"));
    const timed = ["async:t1", "async:t2", "resident:t1", "resident:t2", "async:s1"];
    const gapped = ["idle", "async:t2", "resident:t2", "async:t1"];
    for (const k of timed) for (let i = 0; i < 2; i++) await measure(page, k, false);
    const kept = await rounds(ctx, reps, async () => {
      const round = { times: {}, steady: {}, gaps: {}, gapTimes: {} };
      for (const k of timed) round.times[k] = (await measure(page, k, false)).ms;
      // Back to back: the mean of the calls after the block's first (which follows a pause).
      for (const k of timed) {
        const b = await page.evaluate(([kk, n]) => window.bench.block(kk, n), [k, BLOCK]);
        round.steady[k] = b.slice(1).reduce((x, y) => x + y, 0) / (b.length - 1);
      }
      for (const k of gapped) {
        const m = await measure(page, k, true);
        round.gaps[k] = m.gap;
        round.gapTimes[k] = m.ms;
      }
      return round;
    });
    const column = (part, keys) =>
      Object.fromEntries(keys.map((k) => [k, kept.map((r) => r[part][k])]));
    const times = column("times", timed);
    const steady = column("steady", timed);
    const gaps = column("gaps", gapped);
    const gapTimes = column("gapTimes", gapped);
    if (errors.length > 0) throw new Error(`page errors: ${errors.join("; ")}`);
    return { infos, agree, times, steady, gaps, gapTimes };
  } finally {
    await page.close();
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const dist = join(ROOT, "packages/tconv3d/dist/browser.js");
  if (!existsSync(dist)) throw new Error("bench:async needs the built package: pnpm build");
  const all = JSON.parse(readFileSync(SHAPES_FILE, "utf8")).shapes;
  const geometry = await loadGeometry();
  const ids = o.shapes ?? all.filter((s) => geometry(s).flops >= 1e9).map((s) => s.id);
  const geoms = ids.map((id) => {
    const shape = all.find((s) => s.id === id);
    if (shape === undefined) {
      throw new Error(
        `bench:async: no shape "${id}" in bench/shapes.json (${all.map((s) => s.id).join(", ")})`,
      );
    }
    return geometry(shape);
  });
  const started = new Date();
  const t0 = performance.now();
  console.error(`bench:async: waiting (at most ${o.maxWait} s) for a quiet machine...`);
  const quiet = await waitForQuiet(o.maxWait);
  const load0 = os.loadavg()[0];

  const server = await serveIsolated(ROOT);
  const browser = await launchChromium();
  const version = browser.version();
  const ctx = {
    maxWait: o.maxWait,
    foreign: [],
    discarded: 0,
  };
  /** Per shape: the synchronous API at 2 and 1 threads, and the async API. */
  const runs = [];
  try {
    for (const g of geoms) {
      console.error(`bench:async: ${g.id}: synchronous API, main thread, 2 threads...`);
      const m2 = await syncPage(ctx, browser, server.origin, g, 2, o.reps);
      console.error(`bench:async: ${g.id}: synchronous API, main thread, 1 thread...`);
      const m1 = await syncPage(ctx, browser, server.origin, g, 1, o.reps);
      console.error(`bench:async: ${g.id}: async API...`);
      const a = await asyncPage(ctx, browser, server.origin, g, o.reps);
      runs.push({ g, m1, m2, a });
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const seconds = (performance.now() - t0) / 1000;

  const results = {
    date: started.toISOString().replace(/\.\d+Z$/, "Z"),
    seconds,
    reps: o.reps,
    block: BLOCK,
    machine: {
      model: os.cpus()[0]?.model.trim() ?? "unknown CPU",
      cores: os.availableParallelism(),
      release: os.release(),
    },
    load: {
      start: quiet,
      maxWait: o.maxWait,
      loadavg: load0,
      foreign: ctx.foreign.reduce((x, y) => x + y, 0) / Math.max(1, ctx.foreign.length),
      foreignMax: FOREIGN_MAX,
      discarded: ctx.discarded,
    },
    chromium: { version, path: CHROMIUM },
    builds: { threaded: THREADED, single: SINGLE },
    runs: runs.map(({ g, m1, m2, a }) => ({ shape: all.find((s) => s.id === g.id), m1, m2, a })),
  };
  if (o.results !== null) {
    writeResults(o.results, results);
    console.error(`bench:async: wrote ${relative(process.cwd(), o.results)}`);
  }
  // Rendered from the results as written, as \`pnpm bench:report\` renders them.
  const md = renderAsync(o.results === null ? results : readResults(o.results), geometry);
  console.log(md);
  if (o.out !== null) {
    writeSection(o.out, "bench:async", md);
    console.error(`bench:async: wrote ${relative(process.cwd(), o.out)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
