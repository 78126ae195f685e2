// The operator lifecycle seen from the layer's `predict` (a scenario, not a timed test):
//
// 1. Crossings: how many calls from JS into WASM one warm `predict` makes, counted by
//    wrapping every export of the WASM instance (the glue's own calls included: allocation,
//    freeing, the run itself).
// 2. Alternating sizes: the weights are packed once per weights version and a plan is made
//    once per input size, so a layer fed two batch sizes or two volumes in turn should run
//    each as fast as when fed one size only.
//
// Usage: node bench/lifecycle.mjs [--reps N]   (prints a Markdown table)

import { parseArgs } from "node:util";
import { randomF32 } from "./lib/core.mjs";
import { median, table } from "./lib/table.mjs";

const { values: opts } = parseArgs({ options: { reps: { type: "string", default: "15" } } });
const reps = Number(opts.reps);

// Every function export of every instance counts its calls; set up before the package loads
// its build, so that the glue's `wasm` object is the counting one.
const crossings = { n: 0 };
const exportsOf = Object.getOwnPropertyDescriptor(WebAssembly.Instance.prototype, "exports");
const counting = new WeakMap();
Object.defineProperty(WebAssembly.Instance.prototype, "exports", {
  configurable: true,
  get() {
    let wrapped = counting.get(this);
    if (wrapped === undefined) {
      const raw = exportsOf.get.call(this);
      wrapped = Object.fromEntries(
        Object.entries(raw).map(([k, v]) => [
          k,
          typeof v === "function"
            ? (...args) => {
                crossings.n++;
                return v(...args);
              }
            : v,
        ]),
      );
      counting.set(this, wrapped);
    }
    return wrapped;
  },
});

const T = await import("tconv3d");
await T.init({ variant: "simd", threads: 1 });

const C = 8;
const layer = T.transposedConv3dLayer(3, 8, { stride: 2, cropping: 1 });
const input = (n, s) =>
  T.dlarray(randomF32(s[0] * s[1] * s[2] * C * n, 1 + n + s[0]), [...s, C, n], "SSSCB");
const sizes = {
  "batch 1, 16³": input(1, [16, 16, 16]),
  "batch 4, 16³": input(4, [16, 16, 16]),
  "batch 1, 24×16×16": input(1, [24, 16, 16]),
};

/** Crossings of one warm call. */
function crossingsOf(call) {
  call();
  const before = crossings.n;
  call();
  return crossings.n - before;
}

/** Median ms of `reps` calls of `call`, each after `between()` (untimed). */
function timed(call, between = () => {}) {
  const ms = [];
  for (let i = 0; i < reps; i++) {
    between();
    const t0 = performance.now();
    call();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const [a, ...others] = Object.entries(sizes);
const [aName, aX] = a;
const rows = [];
const crossRows = [
  ["predict (JS arrays)", crossingsOf(() => layer.predict(aX))],
  [
    'predict (out: "wasm", disposed)',
    crossingsOf(() => layer.predict(aX, { out: "wasm" })[Symbol.dispose]()),
  ],
  [
    "backward (JS arrays)",
    crossingsOf(() => layer.backward(aX, layer.predict(aX))) - crossingsOf(() => layer.predict(aX)),
  ],
];
const alone = timed(() => layer.predict(aX));
for (const [name, X] of others) {
  layer.predict(X);
  const alternating = timed(
    () => layer.predict(aX),
    () => layer.predict(X),
  );
  rows.push([
    `${aName} ⇄ ${name}`,
    alone.toFixed(3),
    alternating.toFixed(3),
    (alternating / alone).toFixed(2),
  ]);
}

console.log("JS↔WASM crossings of one warm call (simd, 1 thread):\n");
console.log(
  table(
    ["call", "crossings"],
    crossRows.map(([c, n]) => [c, String(n)]),
  ),
);
console.log(
  `\nWarm predict of ${aName}, median of ${reps} (ms), alone and alternating with another size:\n`,
);
console.log(table(["sizes", "alone", "alternating", "ratio"], rows));
