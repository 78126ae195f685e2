// BENCHMARKS.md from the results JSON (bench/lib/results.mjs) and the targets
// (bench/targets.json): the tables of bench/run.mjs's results, then the sections other
// scripts own (bench/async.mjs's, rendered from its results when they exist, else carried over
// from the previous file; see bench/lib/sections.mjs).

import { F64, MODES, OUT, PEERS, RELAXED, TC } from "./keys.mjs";
import { methodSection } from "./method.mjs";
import { renderAsync } from "./report-async.mjs";
import { renderLifecycle } from "./report-lifecycle.mjs";
import { renderNative } from "./report-native.mjs";
import { carrySections, replaceSection } from "./sections.mjs";
import { geomean, kb, ms, num, pct, ratio, sci, table } from "./table.mjs";
import { TARGETS, targetTable } from "./targets.mjs";

/** How to read the workspace columns (the figures are the allocator's peak during the call
 * minus what was in use before it, less the call's tensors). */
const WORKSPACE_NOTE = `Workspace: the WASM heap's peak during the call, less what was in use before it and
less the call's tensors (its inputs and outputs, 4 bytes an element). A negative figure means
the call allocated less than its tensors: the layer keeps a buffer between calls (allocated
before the timed call) that a forward with JS arrays receives X in and then writes Y in, so Y
takes no new memory; what the call does allocate is the kernels' padded copy of X.`;

/** The part of BENCHMARKS.md that bench/run.mjs's results `res` give, against targets `T`
 * (`geometry`: of bench/lib/geometry.mjs's `loadGeometry`). */
export function renderNode(res, geometry, T = TARGETS) {
  const results = res.shapes.map((r) => ({ ...r, g: geometry(r.shape) }));
  const byKey = Object.fromEntries(res.implementations.map((i) => [i.key, i]));
  const CEILING = T.ceiling.gflopsPerCore * T.ceiling.cores;
  const gf = (r, k) => r.g.flops / r.fwd[k].median / 1e6;
  const wrong = (r, k) => r.err[k] > res.tol;
  const bestTc = (r) => TC.reduce((a, b) => (r.fwd[b].median < r.fwd[a].median ? b : a));
  const implName = (k) => `${byKey[k].label} t${byKey[k].threads}${byKey[k].suffix}`;
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
  const load = (d) =>
    `${d.foreign.toFixed(2)} cores${d.discarded ? `, ${d.discarded} redone` : ""}`;

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
    [
      "shape",
      "implementation",
      "ms (median)",
      "min–max ms",
      "runs",
      "GFLOP/s",
      "rel. err",
      "check",
    ],
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
  if (res.backward) {
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
        row.push(k.startsWith("tc-t2") && q > T.backwardOverForward ? `${ratio(q)} ⚠` : ratio(q));
      }
      const s = MODES.map((mode) => scaleOf(r.bwd, mode));
      for (const [i, v] of s.entries()) sAll[i].push(v);
      row.push(...s.map(ratio));
      row.push(
        pct((100 * r.copyFwd) / r.fwd["tc-t2"].median),
        pct((100 * r.copyBwd) / bt("tc-t2")),
      );
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
        `bwd ÷ fwd t2 (≤ ${T.backwardOverForward}×)`,
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
  if (res.backward) {
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

  // Workspace: WASM heap a call takes beyond its inputs, outputs and the cached plans, against
  // the output size: Y for the forward; for the backward, its largest tensors, dLdY (Y's size)
  // or the gradients dX, dW, dB (with few voxels and many weights, dW is many times Y).
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

  // f64 against f32, both on the 2-thread build.
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

  const targetsTable = targetTable({
    res,
    results,
    T,
    CEILING,
    speedCols,
    spAll,
    gf,
    core,
    scaleOf,
    f64Ratio,
    share,
    bwdRef,
  });

  const m = res.machine;
  const buildChanged = !res.build.atStart.endsWith(res.build.atEnd);
  const header = `# tconv3d benchmarks

Generated by \`bench/run.mjs\` from \`bench/results/node.json\` — **do not edit by hand**; rerun the command below to measure again, or \`pnpm bench:report\` to render the committed results.

- Command: \`${res.command}\`${res.quick ? " (quick: a smoke test, fewer repetitions)" : ""}
- Date: ${res.date}; run time ${res.durationS.toFixed(0)} s
- Machine: ${m.model} (${m.flags || "flags unknown"}), ${m.cores} logical cores, ${(m.memory / 2 ** 30).toFixed(0)} GiB RAM, ${m.platform} ${m.release}
- Node ${res.node} (V8 ${res.v8})
- Other processes on this (shared) machine: ${res.load.start.toFixed(2)} cores busy at the start (after waiting up to ${res.load.maxWait} s for quiet); ${res.load.foreign.toFixed(2)} cores on average during the timed rounds; ${res.load.discarded} disturbed round(s) discarded and redone
- tconv3d: ${res.build.atStart}; relaxed-SIMD row ${byKey[RELAXED] ? "run" : "not run (runtime lacks relaxed SIMD)"}${buildChanged ? `\n- **Warning:** the wasm build changed on disk during the run (now: ${res.build.atEnd}); the figures are those of the build loaded at the start` : ""}
- Peers: onnxruntime-web ${res.peers["onnxruntime-web"]} (its WASM SIMD build; \`ort.env.wasm.numThreads\` 1 or 2), onnxruntime-node ${res.peers["onnxruntime-node"]} (native CPU provider; \`intraOpNumThreads\` 1 or 2)
- Shapes: \`${res.shapesFile}\`${res.selected ? ` (selected: ${res.selected.join(", ")})` : ""}; FLOPs = 2·N·Cin·Cout·kD·kH·kW·D·H·W (input voxels)`;

  const sections = [
    header,
    `## Forward (f32)\n\n${fwdTable}`,
    `## Forward speed-ups (peer time ÷ tconv3d time)\n\n${spTable}`,
    `## Geometric means\n\n${geoTable}`,
    res.backward ? `## Backward (f32, tconv3d only)\n\n${bwdTable}` : "",
    res.backward ? `## Where the time goes (f32, simd-threads, 2 threads)\n\n${partsTable}` : "",
    `## Workspace memory (f32, simd-threads, 2 threads)\n\n${memTable}\n\n${WORKSPACE_NOTE}`,
    `## f64 forward (simd-threads, 2 threads)\n\n${f64Table}`,
    `## Relaxed SIMD forward (simd-threads-relaxed, 2 threads)\n\n${relaxedTable}`,
    `## Targets\n\n${targetsTable}`,
    methodSection(res, T),
  ].filter(Boolean);
  return `${sections.join("\n\n")}\n`;
}

/**
 * BENCHMARKS.md: `node` (bench/run.mjs's results) rendered, then the sections of `previous`
 * (the file as it was) that other scripts own, each rendered from its results where given
 * (`asyncResults`, `nativeResults`, `lifecycleResults`); `geometry`: of bench/lib/geometry.mjs's
 * `loadGeometry`.
 */
export function renderBenchmarks(
  { node, asyncResults, nativeResults, lifecycleResults, previous },
  geometry,
  T = TARGETS,
) {
  let doc = carrySections(previous, renderNode(node, geometry, T));
  if (asyncResults) {
    doc = replaceSection(doc, "bench:async", renderAsync(asyncResults, geometry, T));
  }
  if (nativeResults) {
    doc = replaceSection(doc, "bench:native", renderNative(nativeResults, geometry));
  }
  if (lifecycleResults) {
    doc = replaceSection(doc, "bench:lifecycle", renderLifecycle(lifecycleResults));
  }
  return doc;
}
