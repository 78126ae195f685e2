#!/usr/bin/env node

// `pnpm bench:report`: renders BENCHMARKS.md from the committed results (bench/results/node.json
// of `pnpm bench`, bench/results/async.json of `pnpm bench:async`) and bench/targets.json,
// without measuring anything. Where there are no async results, the async section of the
// previous BENCHMARKS.md is kept.
//
//   pnpm bench:report
//   pnpm bench:report -- --results DIR --out FILE|-

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { renderBenchmarks } from "./lib/report.mjs";
import { asyncBeside, NODE_RESULTS, readNodeResults, readResults } from "./lib/results.mjs";

const ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv) {
  const o = { node: NODE_RESULTS, out: join(ROOT, "BENCHMARKS.md") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`bench:report: ${a} needs a value`);
      return argv[++i];
    };
    if (a === "--") continue;
    if (a === "--results" || a.startsWith("--results=")) {
      o.node = join(resolvePath(process.cwd(), value()), "node.json");
    } else if (a === "--out" || a.startsWith("--out=")) {
      const v = value();
      o.out = v === "-" ? null : resolvePath(process.cwd(), v);
    } else if (a === "--help" || a === "-h") {
      console.log("usage: node bench/report.mjs [--results DIR] [--out FILE|-]");
      process.exit(0);
    } else throw new Error(`bench:report: unknown argument ${a} (try --help)`);
  }
  return o;
}

const o = parseArgs(process.argv.slice(2));
if (!existsSync(o.node)) {
  throw new Error(`bench:report: no ${relative(process.cwd(), o.node)}; run pnpm bench first`);
}
const asyncFile = asyncBeside(o.node);
const doc = renderBenchmarks({
  node: readNodeResults(o.node),
  asyncResults: existsSync(asyncFile) ? readResults(asyncFile) : null,
  previous: o.out && existsSync(o.out) ? readFileSync(o.out, "utf8") : "",
});
if (o.out) {
  writeFileSync(o.out, doc);
  console.error(`bench:report: wrote ${relative(process.cwd(), o.out) || o.out}`);
} else {
  console.log(doc);
}
