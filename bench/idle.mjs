#!/usr/bin/env node

// Forward time after the pool has been idle (a probe, not a timed test; prints only): one
// shape's resident forward in Node, with the threaded build at 1 and 2 threads, each call after
// a pause of 0, 20 or 100 ms, and after a 100 ms pause followed by a warm-up of the pool's
// threads (about 30 ms of unrelated parallel work, `pool_distinct_workers(64)`) right before the
// call. It separates what the pool's threads lose when they come back from idle (wake-up,
// cores that run slowly for a while) from the kernels' own time; docs/performance.md reads it.
//
//   pnpm bench:idle                        gan-a, 30 calls per row
//   pnpm bench:idle -- --shape batch --calls 20
//
// Each configuration runs in a child process of its own (a process starts one pool).

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { eachFlag, printUsage } from "./lib/args.mjs";
import { randomF32 } from "./lib/core.mjs";
import { loadGeometry, SHAPES_FILE } from "./lib/geometry.mjs";
import { ms, ratio, table } from "./lib/table.mjs";

const PAUSES = [0, 20, 100];

/** One configuration, in this (child) process: the call times and the cores kept busy. */
async function child({ shapeId, threads, pause, warm, calls }) {
  const T = await import("tconv3d");
  const { wasm } = await import(new URL("./runtime/backend.js", import.meta.resolve("tconv3d")));
  await T.init({ variant: "simd-threads", threads });
  const shape = JSON.parse(readFileSync(SHAPES_FILE, "utf8")).shapes.find((s) => s.id === shapeId);
  const g = (await loadGeometry(wasm()))(shape);
  const layer = T.transposedConv3dLayer(g.ourFilter, g.Cout, {
    stride: g.ourStride,
    cropping: g.ourCropping,
    weights: T.dlarray(randomF32(g.wNumel, 2, 0.05), g.ourWeightSize),
  });
  const X = T.fromNCDHW(randomF32(g.xNumel, 1), g.xShape);
  const Y = layer.predict(X);
  for (let i = 0; i < 3; i++) layer.predict(X, { out: Y });
  const times = [];
  let busy = 0;
  for (let i = 0; i < calls; i++) {
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    if (warm) wasm().exports.pool_distinct_workers(64);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    layer.predict(X, { out: Y });
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    times.push(dt);
    busy += (c.user + c.system) / 1000;
  }
  return { times, busy: busy / times.reduce((a, b) => a + b, 0) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === "--child") {
    console.log(JSON.stringify(await child(JSON.parse(argv[1]))));
    return;
  }
  const o = { shapeId: "gan-a", calls: 30 };
  eachFlag(argv, "bench:idle", (flag, value) => {
    if (flag === "--shape") o.shapeId = value();
    else if (flag === "--calls") o.calls = Number(value());
    else if (flag === "--help" || flag === "-h") printUsage(import.meta.url);
    else throw new Error(`bench:idle: unknown argument ${flag} (try --help)`);
  });
  if (!(Number.isInteger(o.calls) && o.calls >= 3)) {
    throw new Error("bench:idle: --calls must be an integer of at least 3");
  }
  const run = (threads, pause, warm) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [fileURLToPath(import.meta.url), "--child", JSON.stringify({ ...o, threads, pause, warm })],
        { encoding: "utf8" },
      ),
    );
  const configs = [...PAUSES.map((pause) => ({ pause, warm: false })), { pause: 100, warm: true }];
  const rows = configs.map(({ pause, warm }) => {
    const [t1, t2] = [run(1, pause, warm), run(2, pause, warm)];
    const [m1, m2] = [median(t1.times), median(t2.times)];
    return [
      `${pause} ms${warm ? ", then the pool warmed" : ""}`,
      ms(m1),
      ms(m2),
      ratio(m1 / m2),
      t2.busy.toFixed(2),
    ];
  });
  console.log(
    `bench:idle: ${o.shapeId}, resident forward in Node ${process.versions.node} (simd-threads), ` +
      `${o.calls} calls per row (medians); ${os.cpus()[0]?.model.trim()}, ` +
      `${os.availableParallelism()} logical cores\n`,
  );
  console.log(
    table(
      [
        "pause before each call",
        "1 thread, ms",
        "2 threads, ms",
        "2 ÷ 1",
        "cores busy (2 threads)",
      ],
      rows,
      "lrrrr",
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
