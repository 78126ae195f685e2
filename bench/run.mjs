#!/usr/bin/env node

// `pnpm bench`: measures tconv3d against onnxruntime-web (WASM) and onnxruntime-node (native)
// in one Node process (bench/lib/measure.mjs), writes the raw figures to
// bench/results/node.json, and renders BENCHMARKS.md from them (bench/lib/report.mjs; generated,
// never edit it by hand). `pnpm bench:report` renders it again from the committed results.
//
//   pnpm bench                                            full run, writes both
//   pnpm bench -- --quick --shapes gan-d,k3s1 --out -     a smoke run that only prints
//
// Flags: --shapes a,b (ids from shapes.json; default all), --quick (fewer repetitions, a smoke
// test), --out FILE (default BENCHMARKS.md at the repository root; "-" prints only),
// --results FILE (default bench/results/node.json, none with --out -; "-" writes none),
// --no-backward, --shapes-file FILE, --max-wait SECONDS (wait for a quiet machine first;
// default 60, quick 5), --help.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { eachFlag } from "./lib/args.mjs";
import { loadGeometry, SHAPES_FILE } from "./lib/geometry.mjs";
import { measure } from "./lib/measure.mjs";
import { renderBenchmarks } from "./lib/report.mjs";
import {
  NODE_RESULTS,
  readTimedResults,
  sectionResults,
  writeTimedResults,
} from "./lib/results.mjs";

const ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv) {
  const o = {
    shapes: null,
    quick: false,
    out: join(ROOT, "BENCHMARKS.md"),
    results: undefined,
    backward: true,
    shapesFile: null,
    maxWait: null,
  };
  eachFlag(argv, "bench", (flag, value, path) => {
    if (flag === "--quick") o.quick = true;
    else if (flag === "--no-backward") o.backward = false;
    else if (flag === "--shapes")
      o.shapes = value()
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    else if (flag === "--out") o.out = path();
    else if (flag === "--results") o.results = path();
    else if (flag === "--shapes-file") o.shapesFile = resolvePath(process.cwd(), value());
    else if (flag === "--max-wait") o.maxWait = Number(value());
    else if (flag === "--help" || flag === "-h") {
      console.log(
        "usage: node bench/run.mjs [--quick] [--shapes id,id] [--out FILE|-] [--results FILE|-] [--no-backward] [--shapes-file FILE] [--max-wait SECONDS]",
      );
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${flag} (try --help)`);
  });
  // Printing only (--out -) writes no results either, unless asked to.
  if (o.results === undefined) o.results = o.out === null ? null : NODE_RESULTS;
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const userArgs = process.argv.slice(2).filter((a) => a !== "--");
const command =
  process.env.npm_lifecycle_event === "bench"
    ? `pnpm bench${userArgs.length ? ` -- ${userArgs.join(" ")}` : ""}`
    : `node ${relative(ROOT, fileURLToPath(import.meta.url))}${userArgs.length ? ` ${userArgs.join(" ")}` : ""}`;

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

const geometry = await loadGeometry();
const results = await measure(shapes, geometry, {
  quick: opts.quick,
  backward: opts.backward,
  maxWait: opts.maxWait,
  command,
  root: ROOT,
  shapesFile,
  selected: opts.shapes,
});
if (opts.results) {
  writeTimedResults(opts.results, results);
  console.error(`bench: wrote ${relative(process.cwd(), opts.results) || opts.results}`);
}
// Rendered from the results as written, as `pnpm bench:report` renders them.
const previous = opts.out && existsSync(opts.out) ? readFileSync(opts.out, "utf8") : "";
const doc = renderBenchmarks(
  {
    node: opts.results ? readTimedResults(opts.results) : results,
    ...(opts.results
      ? sectionResults(opts.results)
      : { asyncResults: null, nativeResults: null, lifecycleResults: null }),
    previous,
  },
  geometry,
);
console.log(doc);
if (opts.out) {
  writeFileSync(opts.out, doc);
  console.error(
    `bench: wrote ${relative(process.cwd(), opts.out) || opts.out} in ${results.durationS.toFixed(0)} s`,
  );
}
// Pool workers (tconv3d, ORT) are unref'd or blocked; exit explicitly all the same.
process.exit(0);
