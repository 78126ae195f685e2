// The "Targets" section of BENCHMARKS.md: each target of bench/targets.json (the figures of
// docs/performance.md) evaluated on a run's results, and for the shapes that miss one, what
// limits them.

import { readFileSync } from "node:fs";
import { MODES } from "./keys.mjs";
import { geomean, ms, num, pct, ratio, table } from "./table.mjs";

/** bench/targets.json. */
export const TARGETS = JSON.parse(
  readFileSync(new URL("../targets.json", import.meta.url), "utf8"),
);

/**
 * The targets table. `ctx` holds the report's figures: `res` (the results), `results` (their
 * shapes with geometry), `T` (bench/targets.json), `CEILING`, the speed-up columns `speedCols`
 * and their values `spAll`, and the helpers `gf`, `core`, `scaleOf`, `f64Ratio`, `share`,
 * `bwdRef`.
 */
export function targetTable(ctx) {
  const { res, results, T, CEILING, speedCols, spAll, gf, core, scaleOf, f64Ratio, share, bwdRef } =
    ctx;
  const F = T.forward;
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
  const haveParts = res.backward;
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
    const missWeb = (r) => r.fwd["web-t2"].median / r.fwd["tc-t2"].median < F.vsWebEveryShape;
    targetRows.push([
      `forward t2 ≥ ${F.vsWebEveryShape}× ort-web t2 on every shape`,
      `min ${ratio(minWeb)}${misses(results, missWeb)}`,
      minWeb >= F.vsWebEveryShape ? "yes" : "no",
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
      `forward t2 ≥ ${F.vsWebGeomean}× ort-web t2, geomean`,
      ratio(gWeb),
      gWeb >= F.vsWebGeomean ? "yes" : "no",
      "",
    ]);
    const big = results.filter((r) => F.ceilingShapes.includes(r.g.id));
    if (big.length) {
      const ofCeiling = (r, mode) => (100 * gf(r, `tc-t2${mode}`)) / CEILING;
      const t = perMode(big, ofCeiling, Math.min, F.ceilingPercent, pct);
      targetRows.push([
        `forward t2 ≥ ${F.ceilingPercent}% of ${CEILING} GFLOP/s on ${F.ceilingShapes.join(", ")}`,
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
      `forward t2 geomean ≥ ${F.vsNodeGeomean}× ort-node t2 (native)`,
      ratio(gNode),
      gNode >= F.vsNodeGeomean ? "yes" : "no",
      "",
    ]);
    if (res.backward) {
      const q = (r, mode) => r.bwd[`tc-t2${mode}`].median / r.fwd[`tc-t2${mode}`].median;
      const t = perMode(results, q, Math.max, T.backwardOverForward, ratio);
      targetRows.push([
        `backward ≤ ${T.backwardOverForward}× forward (t2)`,
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
    const tf = perMode(results, f64Ratio, Math.min, T.f64OverF32, ratio);
    const missF64 = tf.miss;
    targetRows.push([
      `f64 ≥ ${T.f64OverF32}× the f32 GFLOP/s (forward t2)`,
      tf.text,
      tf.met,
      haveParts
        ? `${limits(results, missF64, (r) => `core ${ratio(core(r).f64)}; new Y array f32 ${ms(r.freshFwd)} ms`)}${results.some(missF64) ? " (SIMD128 holds 2 f64 or 4 f32: half the multiply-adds per instruction; f64 arrays are twice the bytes)" : ""}${profiled(results, missF64)}`
        : "",
    ]);
    const large = results.filter((r) => r.g.flops >= T.threads.minGflop * 1e9);
    if (large.length) {
      for (const [what, pick] of [
        ["forward", (r) => r.fwd],
        ["backward", (r) => r.bwd],
      ]) {
        if (what === "backward" && !res.backward) continue;
        const t = perMode(
          large,
          (r, mode) => scaleOf(pick(r), mode),
          Math.min,
          T.threads.speedup,
          ratio,
        );
        const fwd = what === "forward";
        targetRows.push([
          `2 threads ≥ ${T.threads.speedup}× 1 thread (${what}, shapes ≥ ${T.threads.minGflop} GFLOP)`,
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
        `workspace (WASM heap beyond inputs, outputs, packed weights) ≤ ${T.workspacePercent}% of the output size (forward: Y; backward: the larger of Y (= dLdY) and dX + dW + dB)`,
        `max ${pct(maxMem)}${misses(results, (r) => worst(r) > T.workspacePercent)}; in WASM memory: max ${pct(maxWasm)}${misses(results, (r) => worstWasm(r) > T.workspacePercent)}`,
        maxMem <= T.workspacePercent ? "yes" : "no",
        maxWasm > T.workspacePercent
          ? "in WASM memory the kernels' own copy of an input (channels-last, padded) is workspace, where with JS arrays it replaces the copy across the boundary"
          : "",
      ]);
      const maxCopy = Math.max(...large.map((r) => (100 * r.copyFwd) / r.fwd["tc-t2"].median));
      targetRows.push([
        `JS↔WASM copy ≤ ${T.copyPercent}% of end-to-end (forward t2, shapes ≥ ${T.threads.minGflop} GFLOP, estimate), or tensors that live in WASM memory`,
        `max ${pct(maxCopy)}; in WASM memory: none (WasmArray inputs and outputs are read and written where they are)`,
        maxCopy <= T.copyPercent ? "yes" : "with tensors in WASM memory",
        "",
      ]);
    }
  }
  return table(
    ["target (docs/performance.md)", "this run", "met", "what limits the shapes that miss"],
    targetRows,
    "llll",
  );
}
