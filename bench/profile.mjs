#!/usr/bin/env node

// Profiles behind the benchmark's "what limits" column: the core calls that the targets missed
// in BENCHMARKS.md rest on, sampled with Linux `perf` (V8's --perf-prof code dumps, so that
// WASM functions have names and instructions), one process per case. Writes PROFILES.md
// (generated; never edit it by hand): for each case the time per call, where the samples
// fall, and the hot SIMD loop (see `hotLoop`) with its instruction mix; and for the calls
// whose two-thread scaling missed, the CPU time per call of each function at 1 and 2 threads.
//
//   pnpm run profile                 every case, writes PROFILES.md
//   pnpm run profile -- --out -      prints only
//   pnpm run profile -- --help       this text
//
// Needs `perf` (Debian: linux-perf) with permission to sample (root, or
// kernel.perf_event_paranoid <= 1), and the built package (`pnpm build`).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { printUsage } from "./lib/args.mjs";
import { loadGeometry, SHAPES_FILE } from "./lib/geometry.mjs";
import { table } from "./lib/table.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CASE = join(ROOT, "bench/lib/profile-case.mjs");
const SECONDS = 3;
/** Sampling rate (Hz): on a VM without hardware counters perf samples `cpu-clock`, so each
 * sample stands for 1/HZ s of one thread's CPU time. */
const HZ = 2000;

/** What each case backs (the target of docs/performance.md) and what it runs. */
const CASES = [
  {
    target: "forward ≥ 60% of the two-core ceiling (unet-b)",
    shape: "unet-b",
    call: "forward",
    dtype: "f32",
  },
  {
    target: "f64 ≥ ½ the f32 GFLOP/s (the f32 case next to it)",
    shape: "gan-b",
    call: "forward",
    dtype: "f64",
  },
  { target: "f64 ≥ ½ the f32 GFLOP/s (f32)", shape: "gan-b", call: "forward", dtype: "f32" },
  {
    target: "forward ≥ 2× onnxruntime-web on every shape (gan-d: one filter, the lanes kernel)",
    shape: "gan-d",
    call: "forward",
    dtype: "f32",
  },
  { target: "backward ≤ 2.5× forward (dW)", shape: "gan-a", call: "dW", dtype: "f32" },
  { target: "backward ≤ 2.5× forward (dX)", shape: "gan-a", call: "dX", dtype: "f32" },
  { target: "backward ≤ 2.5× forward (forward)", shape: "gan-a", call: "forward", dtype: "f32" },
];

/** Core calls profiled at 1 and 2 threads for the target "2 threads ≥ 1.8× 1 thread": the
 * forward of shapes with many output voxels per weight (unet-b, k3s1), and the backward's
 * reductions, dW over few voxels and many weights (gan-a, gan-c) and dX over many voxels
 * (unet-b). */
const SCALING = [
  { shape: "unet-b", call: "forward" },
  { shape: "k3s1", call: "forward" },
  { shape: "gan-a", call: "dW" },
  { shape: "gan-c", call: "dW" },
  { shape: "unet-b", call: "dX" },
];

const args = process.argv.slice(2).filter((a) => a !== "--");
if (args.includes("--help") || args.includes("-h")) printUsage(import.meta.url);
const outIdx = args.indexOf("--out");
const out = outIdx >= 0 ? args[outIdx + 1] : join(ROOT, "PROFILES.md");

try {
  execFileSync("perf", ["--version"], { stdio: "ignore" });
} catch {
  console.error("profile: `perf` is missing (Debian: apt-get install linux-perf)");
  process.exit(2);
}

const run = (cmd, argv, opts = {}) =>
  execFileSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 28, ...opts });

/** A WASM function's name without crate hashes and rayon's plumbing around a task. */
function shortName(sym) {
  let s = sym.replace(/\[[0-9a-f]{16}\]/g, "").replace(/^JS:/, "");
  // A task's closure: the last argument of rayon's consumer (`for_each`, or `for_each_init`,
  // whose consumer also names the scratch's initializer).
  const task =
    s.match(/ForEachConsumer<(.*)>>-\d+-turbofan$/) ??
    s.match(/MapInitConsumer<.*?, .*? as .*?>::\w+, (.*)>>-\d+-turbofan$/);
  if (task) s = `rayon task: ${task[1]}`;
  s = s.replace(/-\d+-(turbofan|liftoff)$/, "");
  return s.length > 110 ? `${s.slice(0, 107)}…` : s;
}

/** perf annotate lines → { pct, addr, text } in address order. */
function parseAnnotate(text) {
  const insts = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*([\d.]+)\s*:\s+([0-9a-f]+):\s+(.*)$/);
    if (m) insts.push({ pct: Number(m[1]), addr: Number.parseInt(m[2], 16), text: m[3].trim() });
  }
  return insts.sort((a, b) => a.addr - b.addr);
}

/**
 * The hot SIMD loop: of the spans of backward branches that hold a SIMD multiply and at least
 * a fifth of the function's samples, the one with the most samples per instruction (the
 * hottest single instruction is a poor guide: samples skid onto the instruction after a slow
 * one, often outside the loop).
 */
function hotLoop(insts) {
  const total = insts.reduce((s, i) => s + i.pct, 0);
  let best = null;
  for (const branch of insts) {
    const m = branch.text.match(/^j\w+\s+([0-9a-f]+)\b/);
    if (!m) continue;
    const from = Number.parseInt(m[1], 16);
    if (from >= branch.addr) continue;
    const body = insts.filter((i) => i.addr >= from && i.addr <= branch.addr);
    if (!body.some((i) => /^v(mul|fn?madd)\w*p[sd]\b/.test(i.text))) continue;
    const sum = body.reduce((s, i) => s + i.pct, 0);
    if (sum < total / 5) continue;
    if (!best || sum / body.length > best.sum / best.body.length) best = { body, sum };
  }
  return best?.body ?? null;
}

/** An AT&T operand list split at its top-level commas: "(%rdx,%r15,1),%xmm1" → 2 operands. */
function operands(text) {
  const out = [""];
  let depth = 0;
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) out.push("");
    else out[out.length - 1] += ch;
  }
  return out;
}

/** Instruction classes of a loop body, and its flops (AT&T syntax: the source first). */
function mix(body) {
  const c = { mul: 0, add: 0, fma: 0, load: 0, store: 0, copy: 0, other: 0, flops: 0 };
  for (const { text } of body) {
    const [op, rest = ""] = text.split(/\s+/, 2);
    const ops = operands(rest);
    const lanes = op.endsWith("ps") ? 4 : op.endsWith("pd") ? 2 : 1;
    const move = /^v?mov(dqu|dqa|ups|upd|aps|apd|ss|sd|q)$/.test(op);
    if (/^v?mulp[sd]$/.test(op)) {
      c.mul++;
      c.flops += lanes;
    } else if (/^v?addp[sd]$/.test(op)) {
      c.add++;
      c.flops += lanes;
    } else if (/^vfn?madd\w*p[sd]$/.test(op)) {
      c.fma++;
      c.flops += 2 * lanes;
    } else if (/^v(broadcastss|broadcastsd|pbroadcast\w|movddup)$/.test(op)) c.load++;
    else if (move && ops[0]?.includes("(")) c.load++;
    else if (move && ops.at(-1)?.includes("(")) c.store++;
    else if (move) c.copy++;
    else c.other++;
  }
  return c;
}

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const geometry = await loadGeometry();
const shapes = Object.fromEntries(
  JSON.parse(readFileSync(SHAPES_FILE, "utf8")).shapes.map((s) => [s.id, s]),
);
const tmp = mkdtempSync(join(os.tmpdir(), "tconv3d-profile-"));

/**
 * Runs one core call over and over for SECONDS under `perf record` in its own process:
 * `{ res, syms, samples, annotate(sym), dispose() }`, where `res` is profile-case's line (median ms,
 * calls, the loop's start and end), `syms` the functions sampled while the loop ran (share,
 * samples, symbol; the hottest first) and `samples` their total; `dispose` deletes the
 * recording (perf data and V8's code dumps, many MB a case).
 */
function record(cs, threads) {
  const dir = mkdtempSync(join(tmp, "case-"));
  const raw = join(dir, "raw.data");
  const inj = join(dir, "inj.data");
  console.error(`profile: ${cs.shape} ${cs.call} ${cs.dtype}, ${threads} thread(s), ${SECONDS} s…`);
  const res = JSON.parse(
    run(
      "perf",
      [
        "record",
        "-k",
        "mono",
        "-F",
        String(HZ),
        "-o",
        raw,
        "--",
        process.execPath,
        "--perf-prof",
        "--no-write-protect-code-memory",
        CASE,
        cs.shape,
        cs.call,
        cs.dtype,
        String(threads),
        String(SECONDS),
      ],
      { cwd: dir, stdio: ["ignore", "pipe", "ignore"] },
    )
      .trim()
      .split("\n")
      .pop(),
  );
  run("perf", ["inject", "--jit", "-i", raw, "-o", inj], { cwd: dir, stdio: "ignore" });
  const window = `${res.t0.toFixed(6)},${res.t1.toFixed(6)}`;
  const report = run(
    "perf",
    ["report", "-i", inj, "--no-children", "--sort", "sym", "--stdio", "-n", "--time", window],
    { cwd: dir, stdio: ["ignore", "pipe", "ignore"] },
  );
  const syms = [];
  for (const line of report.split("\n")) {
    const m = line.match(/^\s+([\d.]+)%\s+(\d+)\s+\[[.k]\]\s+(.*)$/);
    if (m) syms.push({ pct: Number(m[1]), samples: Number(m[2]), sym: m[3].trim() });
  }
  return {
    res,
    syms,
    samples: syms.reduce((n, s) => n + s.samples, 0),
    annotate: (sym) =>
      run("perf", ["annotate", "-i", inj, "--stdio", "-s", sym], {
        cwd: dir,
        stdio: ["ignore", "pipe", "ignore"],
      }),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const sections = [];
const summary = [];
const scaling = [];
try {
  for (const cs of CASES) {
    const g = geometry(shapes[cs.shape]);
    const { res, syms, annotate, dispose } = record(cs, 1);
    const top = syms[0];
    const ann = parseAnnotate(annotate(top.sym));
    dispose();
    const body = hotLoop(ann) ?? [];
    const m = mix(body);
    const loopPct = body.reduce((s, i) => s + i.pct, 0);
    const name = `${cs.shape} ${cs.call} ${cs.dtype}`;
    const gflops = g.flops / res.ms / 1e6;
    const n = body.length;
    const pairs = m.mul + m.fma;
    summary.push([
      name,
      cs.target,
      res.ms.toFixed(2),
      gflops.toFixed(1),
      `${top.pct.toFixed(0)}%`,
      `${((top.pct * loopPct) / 100).toFixed(0)}%`,
      String(n),
      `${m.mul + m.fma} / ${m.add}`,
      String(m.load),
      String(m.store + m.copy + m.other),
      m.flops ? (m.flops / n).toFixed(2) : "–",
      pairs ? (n / pairs).toFixed(2) : "–",
    ]);
    const listing = body
      .map(
        (i) =>
          `${i.pct.toFixed(2).padStart(6)}  ${i.addr.toString(16).padStart(5)}  ${i.text.replace(/\s*<.*>$/, "")}`,
      )
      .join("\n");
    sections.push(`### ${name}: ${cs.target}

${res.calls} calls in ${SECONDS} s, median ${res.ms.toFixed(2)} ms (${gflops.toFixed(1)} GFLOP/s of the shape's nominal FLOPs), 1 thread.

${table(
  ["share of samples", "function"],
  syms.slice(0, 6).map((s) => [`${s.pct.toFixed(1)}%`, `\`${shortName(s.sym)}\``]),
  "rl",
)}

The hot SIMD loop of the first function holds ${loopPct.toFixed(0)}% of its samples: ${n} instructions a pass, ${m.mul} SIMD multiplies and ${m.add} adds${m.fma ? ` and ${m.fma} fused multiply-adds` : ""} (${m.flops} flops), ${m.load} loads and broadcasts, ${m.store} stores, ${m.copy} register copies, ${m.other} address, counter and branch instructions.

<details><summary>the loop (sample % of the function, address, instruction)</summary>

\`\`\`
${listing}
\`\`\`

</details>
`);
  }
  for (const sc of SCALING) {
    const cs = { ...sc, dtype: "f32" };
    const [one, two] = [record(cs, 1), record(cs, 2)];
    one.dispose();
    two.dispose();
    // CPU ms per call of each thread's samples (1/HZ s each).
    const perCall = (r, samples) => (samples * 1000) / HZ / r.res.calls;
    const rows = two.syms.slice(0, 6).map((s) => {
      const before = one.syms.find((o) => o.sym === s.sym)?.samples ?? 0;
      const [a, b] = [perCall(one, before), perCall(two, s.samples)];
      return [`\`${shortName(s.sym)}\``, a.toFixed(2), b.toFixed(2), (b - a).toFixed(2)];
    });
    const [cpu1, cpu2] = [perCall(one, one.samples), perCall(two, two.samples)];
    rows.push(["all functions", cpu1.toFixed(2), cpu2.toFixed(2), (cpu2 - cpu1).toFixed(2)]);
    // Cores busy: sampled CPU time over the loop's wall time (means, both).
    const busy = (two.samples / HZ / (two.res.t1 - two.res.t0)).toFixed(2);
    scaling.push(`### ${cs.shape} ${cs.call} f32

Median ${one.res.ms.toFixed(2)} ms a call at 1 thread (${one.res.calls} calls), ${two.res.ms.toFixed(2)} ms at 2 (${two.res.calls} calls): ${(one.res.ms / two.res.ms).toFixed(2)}×. The 2-thread loop kept ${busy} cores busy on average (sampled CPU time ÷ wall time).

${table(["function (the 2-thread run's hottest)", "CPU ms a call, 1 thread", "2 threads", "more at 2"], rows, "lrrr")}
`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const commit = run("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT }).trim();
const perfVersion = run("perf", ["--version"]).trim();
const doc = `# tconv3d profiles

Generated by \`bench/profile.mjs\` — **do not edit by hand**; rerun the command below to refresh.

- Command: \`pnpm run profile\`
- Date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}
- Machine: ${cpu}, ${os.availableParallelism()} logical cores; Node ${process.version} (V8 ${process.versions.v8}); ${perfVersion}
- tconv3d: commit ${commit}, \`simd-threads\` build at 1 thread (the core's calls as \`BENCHMARKS.md\` times them: data in WASM memory, channels-last)
- Method: each case runs one core call over and over for ${SECONDS} s in its own process under \`perf record -k mono -F ${HZ}\`, with V8's \`--perf-prof\` code dumps merged by \`perf inject --jit\`; shares count the samples taken while the loop ran. The loop is the span of a backward branch holding SIMD multiplies with the most samples per instruction (the compilers unroll it: a pass holds several steps of the sum).

## Summary

The last columns: the loop's flops per instruction, and its instructions per SIMD multiply-add (a multiply and an add, or one fused multiply-add, of one vector). The ceiling of \`docs/performance.md\` (51 GFLOP/s a core) is a loop of multiplies and adds alone: 2 instructions per multiply-add.

${table(
  [
    "case",
    "backs",
    "ms",
    "GFLOP/s",
    "top function",
    "its hot loop",
    "loop instructions",
    "mul / add",
    "loads",
    "other",
    "flops / instr.",
    "instr. / SIMD multiply-add",
  ],
  summary,
  "llrrrrrrrrrr",
)}

## Cases

${sections.join("\n")}
## Two threads against one

Core calls of the shapes whose 2-thread ÷ 1-thread ratio has missed 1.8× end to end in \`BENCHMARKS.md\` runs, each run at 1 and at 2 threads. Without hardware counters on this VM, perf samples \`cpu-clock\`: a sample is 1/${HZ} s of a thread's CPU time, so the samples of a function give the CPU time it took a call. Work that only got slower with a second thread running shows as more CPU time in the same function; waiting shows as rayon's functions (its workers spin a while before they sleep); time when neither thread ran (the VM or the OS gave the core to something else) lowers the cores kept busy without adding samples.

${scaling.join("\n")}`;

if (out === "-") console.log(doc);
else {
  writeFileSync(out, doc);
  console.error(`profile: wrote ${out}`);
}
