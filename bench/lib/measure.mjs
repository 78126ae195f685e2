// The measurement behind BENCHMARKS.md: tconv3d against onnxruntime-web (WASM) and
// onnxruntime-node (native) in ONE Node process, alternating implementations within every
// repetition, after warm-up, median of the repetitions. Returns the raw figures (the results
// JSON, see bench/lib/results.mjs); bench/lib/report.mjs turns them into tables.

import os from "node:os";
import { relative } from "node:path";
import { backwardChecks, relErr, TOL } from "./checks.mjs";
import { shapeData } from "./core.mjs";
import { cpuInfo, gitInfo, pkgVersion, wasmBuildInfo } from "./environment.mjs";
import { loadImplementations, runtimeOf } from "./implementations.mjs";
import { OUT, TC } from "./keys.mjs";
import { waitQuiet } from "./load.mjs";
import { kb, ms, num, sci } from "./table.mjs";
import { alternate, copyTime, freshTime, heapExtra, kernelParts, SETTLE_MS } from "./timing.mjs";

const log = (...a) => console.error(...a);

/** Repetition policy: ≥ minReps timed runs per implementation, more while a per-shape time
 * budget lasts (so fast shapes get more), at most maxReps. */
const POLICIES = {
  quick: { warmup: 1, minReps: 3, maxReps: 5, fwdBudgetS: 1.5, bwdBudgetS: 1, softLimitS: 120 },
  full: { warmup: 2, minReps: 5, maxReps: 25, fwdBudgetS: 10, bwdBudgetS: 6, softLimitS: 420 },
};

// What is measured: the build as found now (other work may rebuild it while this runs).
const BUILT = ["simd", "simd-threads", "simd-threads-relaxed"];

/**
 * Measures `shapes` (entries of bench/shapes.json; `geometry` of bench/lib/geometry.mjs's
 * `loadGeometry`) with the options of bench/run.mjs (`quick`, `backward`, `maxWait`; `root`,
 * `shapesFile` and `selected` for the record) and returns the results object
 * bench/lib/results.mjs stores.
 */
export async function measure(shapes, geometry, opts) {
  const start = performance.now();
  const policy = opts.quick ? POLICIES.quick : POLICIES.full;
  const run = { policy, start, stats: { discarded: 0, foreign: [] } };
  const geoms = shapes.map(geometry);
  const buildAtStart = `commit ${gitInfo()}; wasm ${BUILT.map(wasmBuildInfo).join("; ")}`;
  const impls = await loadImplementations();
  // The 1- and 2-thread instances' WASM runtimes, for timing the core's calls one by one.
  const wasmT1 = await runtimeOf("tconv3d-threads-1");
  const wasmT2 = await runtimeOf("tconv3d-threads-2");
  log(
    `bench: ${geoms.length} shape(s), ${opts.quick ? "quick" : "full"} run, implementations: ${impls.map((i) => i.key).join(", ")}`,
  );

  const maxWait = opts.maxWait ?? (opts.quick ? 5 : 60);
  log(`bench: waiting (at most ${maxWait} s) for other processes to leave the CPU idle…`);
  const startLoad = await waitQuiet(maxWait);
  log(`bench: other processes' load now ${startLoad.toFixed(2)} cores`);

  const results = [];
  for (const [index, g] of geoms.entries()) {
    const tShape = performance.now();
    log(`\n[${g.id}] ${g.describe}, ${(g.flops / 1e9).toFixed(2)} GFLOP`);
    const data = shapeData(g, opts.backward);
    const { convTransposeModel } = await import("../../test/oracle/onnx.ts");
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
      policy.fwdBudgetS,
      (key, out) => {
        const o = prepared[key].output(out);
        if (o.shape.join() !== g.yShape.join()) {
          throw new Error(
            `bench: ${key} on ${g.id} gave shape [${o.shape}], expected [${g.yShape}]`,
          );
        }
        outputs[key] = o.data;
      },
      run,
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
        policy.bwdBudgetS,
        (key, out) => {
          grads[key] = out;
        },
        run,
      );
      // Checks: the three builds agree; dB = Σ dY per channel; the adjoint identities.
      bwdCheck = backwardChecks(
        g,
        data,
        y,
        grads["tc-simd"],
        ["tc-t1", "tc-t2", ...OUT].map((k) => grads[k]),
      );
      for (const k of [...TC, ...OUT]) {
        log(
          `  bwd ${k.padEnd(8)} ${ms(bwd[k].median).padStart(8)} ms  (×${(bwd[k].median / fwd[k].median).toFixed(2)} forward, ${bwd[k].times.length} runs)`,
        );
      }
      const c = bwdCheck;
      log(
        `  bwd checks: builds agree ${sci(c.consist)}, dB ${sci(c.dbErr)}, adjoint ${sci(c.adj)} → ${c.ok ? "ok" : "WRONG"}`,
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
    // Two passes, the builds alternated, each call's fastest over both: a burst of load on
    // this shared machine can outlast one pass's seven calls.
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
      for (const [who, p] of Object.entries(parts)) {
        log(
          `  core calls (${who}): ${Object.entries(p)
            .map(([k, v]) => `${k} ${ms(v)} ms`)
            .join(", ")}`,
        );
      }
    }

    results.push({
      shape: shapes[index],
      fwd,
      err,
      tcWrong,
      bwd,
      bwdCheck,
      copyFwd: copyTime([g.xNumel], [g.yNumel]),
      copyBwd: copyTime([g.xNumel, g.yNumel], [g.xNumel, g.wNumel, g.Cout]),
      parts,
      freshFwd: freshTime([g.yNumel]),
      freshBwd: freshTime([g.xNumel, g.wNumel, g.Cout]),
      heap,
    });
    log(`  (${((performance.now() - tShape) / 1000).toFixed(1)} s)`);
  }

  const durationS = (performance.now() - start) / 1000;
  const { foreign } = run.stats;
  const cpu = cpuInfo();
  return {
    command: opts.command,
    quick: opts.quick,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    durationS,
    machine: {
      ...cpu,
      cores: os.availableParallelism(),
      memory: os.totalmem(),
      platform: os.platform(),
      release: os.release(),
    },
    node: process.version,
    v8: process.versions.v8,
    load: {
      start: startLoad,
      maxWait,
      foreign: foreign.reduce((a, b) => a + b, 0) / Math.max(1, foreign.length),
      discarded: run.stats.discarded,
    },
    build: { atStart: buildAtStart, atEnd: BUILT.map(wasmBuildInfo).join("; ") },
    peers: {
      "onnxruntime-web": pkgVersion("onnxruntime-web"),
      "onnxruntime-node": pkgVersion("onnxruntime-node"),
    },
    shapesFile: relative(opts.root, opts.shapesFile),
    selected: opts.selected,
    backward: opts.backward,
    policy,
    settleMs: SETTLE_MS,
    tol: TOL,
    implementations: impls.map(({ key, label, threads, suffix }) => ({
      key,
      label,
      threads,
      suffix: suffix ?? "",
    })),
    shapes: results,
  };
}
