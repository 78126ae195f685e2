#!/usr/bin/env node

// `pnpm bench:report`: renders BENCHMARKS.md from the committed results (bench/results/node.json
// of `pnpm bench`, bench/results/async.json of `pnpm bench:async`, bench/results/native.json of
// `pnpm bench:native`) and bench/targets.json, without measuring anything. Where a script has
// no results, its section of the previous BENCHMARKS.md is kept. The shapes' sizes and FLOPs are
// the core's: it needs the built package (`pnpm build`).
//
//   pnpm bench:report
//   pnpm bench:report -- --results DIR --out FILE|-

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { eachFlag } from "./lib/args.mjs";
import { loadGeometry } from "./lib/geometry.mjs";
import { renderBenchmarks } from "./lib/report.mjs";
import { NODE_RESULTS, readTimedResults, sectionResults } from "./lib/results.mjs";

const ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv) {
  const o = { node: NODE_RESULTS, out: join(ROOT, "BENCHMARKS.md") };
  eachFlag(argv, "bench:report", (flag, value, path) => {
    if (flag === "--results") o.node = join(resolvePath(process.cwd(), value()), "node.json");
    else if (flag === "--out") o.out = path();
    else if (flag === "--help" || flag === "-h") {
      console.log("usage: node bench/report.mjs [--results DIR] [--out FILE|-]");
      process.exit(0);
    } else throw new Error(`bench:report: unknown argument ${flag} (try --help)`);
  });
  return o;
}

const o = parseArgs(process.argv.slice(2));
if (!existsSync(o.node)) {
  throw new Error(`bench:report: no ${relative(process.cwd(), o.node)}; run pnpm bench first`);
}
const doc = renderBenchmarks(
  {
    node: readTimedResults(o.node),
    ...sectionResults(o.node),
    previous: o.out && existsSync(o.out) ? readFileSync(o.out, "utf8") : "",
  },
  await loadGeometry(),
);
if (o.out) {
  writeFileSync(o.out, doc);
  console.error(`bench:report: wrote ${relative(process.cwd(), o.out) || o.out}`);
} else {
  console.log(doc);
}
