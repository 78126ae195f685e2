// The results JSON between measuring and reporting: bench/run.mjs writes
// bench/results/node.json, bench/async.mjs bench/results/async.json, bench/native.mjs
// bench/results/native.json (all committed),
// and the report (bench/report.mjs, or the measuring script itself) renders BENCHMARKS.md from
// them, so that the tables can be re-rendered without a run.
//
// Raw figures only: every timed round's time and CPU use (medians and the like are computed
// when read), relative errors (∞ and NaN written as strings), sizes, metadata.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { summary } from "./table.mjs";

/** The folder of the committed results. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "results");
/** The results of `pnpm bench`. */
export const NODE_RESULTS = join(RESULTS_DIR, "node.json");
/** The results of `pnpm bench:async`. */
export const ASYNC_RESULTS = join(RESULTS_DIR, "async.json");

/** The results of `pnpm bench:native`. */
export const NATIVE_RESULTS = join(RESULTS_DIR, "native.json");

/** The results of `pnpm bench:lifecycle`. */
export const LIFECYCLE_RESULTS = join(RESULTS_DIR, "lifecycle.json");

/**
 * The results of the scripts that own a section of BENCHMARKS.md, found beside the node
 * results `nodeFile` (in the same folder): each null where absent.
 */
export function sectionResults(nodeFile) {
  const read = (name, reader) => {
    const file = join(dirname(nodeFile), name);
    return existsSync(file) ? reader(file) : null;
  };
  return {
    asyncResults: read("async.json", readResults),
    nativeResults: read("native.json", readTimedResults),
    lifecycleResults: read("lifecycle.json", readResults),
  };
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
  if (phase == null) return null;
  return Object.fromEntries(
    Object.entries(phase).map(([k, v]) => [k, k === "$" ? v : { times: v.times, cores: v.cores }]),
  );
}

/** The timed rounds of one phase as read: each implementation's {@link summary}. */
function summarized(phase) {
  if (phase == null) return null;
  return Object.fromEntries(Object.entries(phase).map(([k, v]) => [k, k === "$" ? v : summary(v)]));
}

/**
 * Results whose shapes hold timed rounds (`fwd`, and `bwd` where measured: `pnpm bench`'s and
 * `pnpm bench:native`'s) as stored: the rounds without their medians.
 */
export function writeTimedResults(file, results) {
  writeResults(file, {
    ...results,
    shapes: results.shapes.map((r) => ({ ...r, fwd: rawRounds(r.fwd), bwd: rawRounds(r.bwd) })),
  });
}

/** Results written by {@link writeTimedResults} as the report reads them: with medians, min, max. */
export function readTimedResults(file) {
  const results = readResults(file);
  return {
    ...results,
    shapes: results.shapes.map((r) => ({ ...r, fwd: summarized(r.fwd), bwd: summarized(r.bwd) })),
  };
}
