// The results JSON between measuring and reporting: bench/run.mjs writes
// bench/results/node.json, bench/async.mjs writes bench/results/async.json (both committed),
// and the report (bench/report.mjs, or the measuring script itself) renders BENCHMARKS.md from
// them, so that the tables can be re-rendered without a run.
//
// Raw figures only: every timed round's time and CPU use (medians and the like are computed
// when read), relative errors (∞ and NaN written as strings), sizes, metadata.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { summary } from "./table.mjs";

/** The folder of the committed results. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "results");
/** The results of `pnpm bench`. */
export const NODE_RESULTS = join(RESULTS_DIR, "node.json");
/** The results of `pnpm bench:async`. */
export const ASYNC_RESULTS = join(RESULTS_DIR, "async.json");

/** The async results that belong with the node results `nodeFile`: in the same folder. */
export function asyncBeside(nodeFile) {
  return join(dirname(nodeFile), "async.json");
}

const NON_FINITE = new Set(["Infinity", "-Infinity", "NaN"]);

/** Writes `results` as JSON: numbers in arrays on one line, ∞ and NaN as strings. */
export function writeResults(file, results) {
  const text = JSON.stringify(
    results,
    (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v),
    1,
  ).replace(/\[\n\s*([^[\]{}]*?)\n\s*\]/g, (_m, inner) => `[${inner.split(/,\n\s*/).join(", ")}]`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${text}\n`);
}

/** Reads results written by {@link writeResults}. */
export function readResults(file) {
  return JSON.parse(readFileSync(file, "utf8"), (_k, v) => (NON_FINITE.has(v) ? Number(v) : v));
}

/** The timed rounds of one phase (name → { times, cores }, `$`) as written: raw figures. */
function rawRounds(phase) {
  if (phase === null) return null;
  return Object.fromEntries(
    Object.entries(phase).map(([k, v]) => [k, k === "$" ? v : { times: v.times, cores: v.cores }]),
  );
}

/** The timed rounds of one phase as read: each implementation's {@link summary}. */
function summarized(phase) {
  if (phase === null) return null;
  return Object.fromEntries(Object.entries(phase).map(([k, v]) => [k, k === "$" ? v : summary(v)]));
}

/** `pnpm bench`'s results as stored: the timed rounds without their medians. */
export function writeNodeResults(file, results) {
  writeResults(file, {
    ...results,
    shapes: results.shapes.map((r) => ({ ...r, fwd: rawRounds(r.fwd), bwd: rawRounds(r.bwd) })),
  });
}

/** `pnpm bench`'s results as the report reads them: with medians, min, max. */
export function readNodeResults(file) {
  const results = readResults(file);
  return {
    ...results,
    shapes: results.shapes.map((r) => ({ ...r, fwd: summarized(r.fwd), bwd: summarized(r.bwd) })),
  };
}
