// pnpm demo: trains a small 3-D decoder (transposed convolutions, tconv3d's dlnetwork) to turn
// low-resolution shapes into full-resolution ones, on shapes it draws itself, then writes a
// montage of held-out shapes: input, prediction and target, each as its central slice and two
// maximum-intensity projections.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { PNG } from "pngjs";
import { init } from "tconv3d";
import { FACTOR, trainer } from "./model.mjs";
import { montage, upsample } from "./render.mjs";

const HELP = `Usage: pnpm demo [options]

Trains a 3-D decoder on random shapes (spheres, tori, boxes, unions) to upsample them 4x per
side, prints its progress, and writes a PNG montage of held-out shapes.

Options:
  --size N      output volume side, a multiple of 4 (default 32: 8^3 in, 32^3 out)
  --steps N     training steps (default 200)
  --batch N     shapes per step (default 4)
  --threads N   worker threads (default: every core, at most 8)
  --seed N      the shapes' random seed (default 1)
  --lr X        Adam's learning rate (default 0.01)
  --out PATH    the montage (default demo/out/montage.png)
  -h, --help    this text`;

let args;
try {
  const argv = process.argv.slice(2);
  args = parseArgs({
    // `pnpm demo -- --steps 50` passes the "--" on.
    args: argv[0] === "--" ? argv.slice(1) : argv,
    options: {
      size: { type: "string", default: "32" },
      steps: { type: "string", default: "200" },
      batch: { type: "string", default: "4" },
      threads: { type: "string" },
      seed: { type: "string", default: "1" },
      lr: { type: "string", default: "0.01" },
      out: { type: "string", default: "demo/out/montage.png" },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
} catch (e) {
  console.error(`${e.message}\n\n${HELP}`);
  process.exit(2);
}
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const int = (name, min) => {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${args[name]}\n\n${HELP}`);
    process.exit(2);
  }
  return v;
};
const size = int("size", 8);
if (size % FACTOR !== 0) {
  console.error(`--size must be a multiple of ${FACTOR}, got ${size}`);
  process.exit(2);
}
const steps = int("steps", 1);
const learnRate = Number(args.lr);
const t0 = performance.now();
const info = await init(args.threads === undefined ? {} : { threads: int("threads", 1) });
const run = trainer({ size, batchSize: int("batch", 1), seed: int("seed", 0), learnRate });
console.log(
  `tconv3d ${info.variant}, ${info.threads} thread(s): ${size / FACTOR}^3 -> ${size}^3 decoder, ` +
    `${run.batchSize} shapes per step, ${(run.flopsPerStep / 1e9).toFixed(2)} GFLOP per step`,
);

const bar = new cliProgress.SingleBar(
  {
    format: "train |{bar}| {value}/{total} steps | loss {loss} | {gflops} GFLOP/s | {duration}s",
    hideCursor: true,
    // Without a terminal (CI, a pipe) the bar prints a line every few seconds instead.
    noTTYOutput: true,
    notTTYSchedule: 5000,
  },
  cliProgress.Presets.shades_classic,
);
bar.start(steps, 0, { loss: "-", gflops: "-" });
const losses = [];
let computeMs = 0;
for (let s = 0; s < steps; s++) {
  const ts = performance.now();
  losses.push(run.step());
  computeMs += performance.now() - ts;
  bar.update(s + 1, {
    loss: losses[s].toFixed(4),
    gflops: ((run.flopsPerStep * (s + 1)) / computeMs / 1e6).toFixed(2),
  });
}
bar.stop();

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const first = losses[0];
const last = mean(losses.slice(-10));
const held = run.evaluate(3);
console.log(
  `loss ${first.toFixed(4)} -> ${last.toFixed(4)} (mean of the last 10 steps): ${(first / last).toFixed(1)}x lower; ` +
    `held-out shapes ${held.loss.toFixed(4)}; ${((performance.now() - t0) / 1000).toFixed(1)} s in all`,
);

const m = size / FACTOR;
const n3 = size ** 3;
const rows = [0, 1, 2].map((b) => [
  upsample(held.input.subarray(b * m ** 3, (b + 1) * m ** 3), m, size),
  held.prediction.subarray(b * n3, (b + 1) * n3),
  held.target.subarray(b * n3, (b + 1) * n3),
]);
const { width, height, rgba } = montage(rows, size, { scale: Math.max(1, Math.round(96 / size)) });
const png = new PNG({ width, height });
png.data.set(rgba);
const out = resolve(args.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, PNG.sync.write(png));
console.log(
  `montage: ${out}\n  (rows: 3 held-out shapes; columns: input, prediction, target, each as its central z slice, max projection along z, max projection along y)`,
);
