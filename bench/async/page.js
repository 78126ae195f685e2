// The page bench/async.mjs drives: the package's browser entry as native ES modules, one large
// forward either synchronously on this page's main thread (`init()` here) or through the async
// API (`initWorker()`, one backend per configuration), and a 5 ms setInterval timer whose
// longest gap during a call shows how long the page could not respond.
import * as T from "../../packages/tconv3d/dist/browser.js";
import { randomF32 } from "../lib/core.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let X = null;
let weights = null;
let geometry = null;
/** The main thread's layer (sync), when this page initialized the backend itself. */
let local = null;
/** Async configurations by key: { backend, layer, Xr, Yr }. */
const remote = new Map();

function layerOptions() {
  return { stride: geometry.ourStride, cropping: geometry.ourCropping, weights };
}

/** The input ("SSSCB" [W H D C N]) and weights of the shape. */
function prepare(g) {
  geometry = g;
  X = T.dlarray(randomF32(g.xNumel, 1), [g.in.w, g.in.h, g.in.d, g.Cin, g.N], "SSSCB");
  weights = T.dlarray(randomF32(g.wNumel, 2, 0.05), g.ourWeightSize);
}

async function syncSetup(options) {
  const info = await T.init(options);
  local = T.transposedConv3dLayer(geometry.ourFilter, geometry.Cout, layerOptions());
  return info;
}

async function asyncSetup(key, options) {
  const backend = await T.initWorker(options);
  const layer = await backend.transposedConv3dLayer(
    geometry.ourFilter,
    geometry.Cout,
    layerOptions(),
  );
  const Xr = await backend.upload(X);
  const Yr = await layer.predict(Xr);
  remote.set(key, { backend, layer, Xr, Yr });
  return backend.info;
}

/** One call of kind "sync", "async:KEY" (X copied in, Y transferred back) or "resident:KEY"
 * (X resident, Y written into a resident array). */
async function call(kind) {
  if (kind === "sync") {
    local.predict(X);
    return;
  }
  const [how, key] = kind.split(":");
  const r = remote.get(key);
  if (how === "async") await r.layer.predict(X);
  else await r.layer.predict(r.Xr, { out: r.Yr });
}

/** The call's time in ms, and (with `timer`) the longest gap between two ticks of a 5 ms
 * interval timer that spans any part of the call. */
async function measure(kind, timer) {
  await sleep(20); // the previous call's pool threads go idle
  if (!timer) {
    const t0 = performance.now();
    await call(kind);
    return { ms: performance.now() - t0, gap: null };
  }
  const ticks = [];
  const id = setInterval(() => ticks.push(performance.now()), 5);
  await sleep(40);
  const t0 = performance.now();
  if (kind !== "idle") await call(kind);
  else await sleep(100);
  const t1 = performance.now();
  await sleep(40);
  clearInterval(id);
  let gap = 0;
  for (let i = 1; i < ticks.length; i++) {
    if (ticks[i] >= t0 && ticks[i - 1] <= t1) gap = Math.max(gap, ticks[i] - ticks[i - 1]);
  }
  return { ms: t1 - t0, gap };
}

/** `n` calls of `kind` back to back, with no pause between them (the pool's threads never go
 * idle, as in a training loop or a stream of frames): each call's time in ms. */
async function block(kind, n) {
  await sleep(20);
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call(kind);
    times.push(performance.now() - t0);
  }
  return times;
}

/** Whether two async configurations compute the same output, bit for bit. */
async function agree(a, b) {
  const [ya, yb] = await Promise.all([a, b].map((k) => remote.get(k).layer.predict(X)));
  const x = new Uint8Array(ya.data.buffer);
  const y = new Uint8Array(yb.data.buffer);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

window.bench = { prepare, syncSetup, asyncSetup, measure, block, agree, ready: true };
