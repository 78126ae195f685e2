// The async API in Chromium, against the synchronous API on this page's main thread (same
// build, same thread count): every check returns plain data for test/browser-async.test.ts.
import * as T from "../../packages/tconv3d/dist/browser.js";
import { values } from "../values.mjs";

const params = new URLSearchParams(location.search);
const options = {
  variant: params.get("variant") ?? "auto",
  threads: Number(params.get("threads") ?? "2"),
};

/** Same size, labels, precision and bits. */
function same(a, b) {
  if (a === null || b === null) return a === b;
  if (!(a instanceof T.DlArray) || a.format !== b.format || a.dtype !== b.dtype) return false;
  if (a.size.join() !== b.size.join() || a.data.length !== b.data.length) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return x.every((v, i) => v === y[i]);
}

async function rejection(p) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return null;
}

const describeError = (e) =>
  e === null ? null : { ctor: e.constructor.name, name: e.name, code: e.code, message: e.message };

function fixture(f64) {
  const Ctor = f64 ? Float64Array : Float32Array;
  const size = [5, 4, 3, 3, 2];
  const X = T.dlarray(values(5 * 4 * 3 * 3 * 2, 3, Ctor), size, "SSSCB");
  const weights = T.dlarray(values(3 * 3 * 3 * 4 * 3, 7, Ctor), [3, 3, 3, 4, 3]);
  return { X, Ctor, options: { stride: 2, cropping: 1, weights, bias: values(4, 11, Ctor) } };
}

async function byValue(f64) {
  const { X, Ctor, options: o } = fixture(f64);
  const local = T.transposedConv3dLayer(3, 4, o);
  const remote = await backend.transposedConv3dLayer(3, 4, o);
  const Y = local.predict(X);
  const forward = same(await remote.predict(X), Y);
  const dLdY = T.dlarray(values(Y.numel, 5, Ctor), Y.size, Y.format);
  const g = local.backward(X, dLdY);
  const h = await remote.backward(X, dLdY);
  const gradients = ["dLdX", "dLdW", "dLdB"].every((k) => same(h[k], g[k]));
  T.adamupdate(local, g, undefined, { learnRate: 0.01 });
  const state = await backend.adamupdate(remote, h, undefined, { learnRate: 0.01 });
  const adam =
    same(await remote.getWeights(), local.weights) &&
    same(await remote.getBias(), local.bias) &&
    state.iteration === 1;
  return { forward, gradients, adam };
}

async function residency() {
  const { X, options: o } = fixture(false);
  const local = T.transposedConv3dLayer(3, 4, o);
  const remote = await backend.transposedConv3dLayer(3, 4, o);
  const Xr = await backend.upload(X);
  const Yr = await remote.predict(Xr);
  const Y = local.predict(X);
  const h = await remote.backward(Xr, Yr);
  const g = local.backward(X, Y);
  const resident = [Xr, Yr, h.dLdX, h.dLdW, h.dLdB].every((a) => a instanceof T.RemoteArray);
  const downloaded =
    same(await Yr.download(), Y) &&
    (
      await Promise.all(
        ["dLdX", "dLdW", "dLdB"].map(async (k) => same(await h[k].download(), g[k])),
      )
    ).every(Boolean);
  const intoSame = (await remote.predict(Xr, { out: Yr })) === Yr;
  const state = await backend.adamupdate(remote, h);
  T.adamupdate(local, g);
  const adam = same(await remote.getWeights(), local.weights);
  Yr.dispose();
  const disposed = describeError(await rejection(Yr.download()));
  for (const a of [Xr, h.dLdX, h.dLdW, h.dLdB, state]) a.dispose();
  return { resident, downloaded, intoSame, adam, disposed };
}

async function transfer() {
  const { X, options: o } = fixture(false);
  const remote = await backend.transposedConv3dLayer(3, 4, o);
  const copy = T.dlarray(X.data.slice(), X.size, X.format);
  const Y = await remote.predict(copy);
  const kept = copy.data.length === X.numel;
  const moved = T.dlarray(X.data.slice(), X.size, X.format);
  const Y2 = await remote.predict(moved, { transfer: true });
  const Xr = await backend.upload(copy);
  const keptByUpload = copy.data.length === X.numel;
  const Xr2 = await backend.upload(copy, { transfer: true });
  const uploadDetached = copy.data.length === 0 && copy.data.buffer.byteLength === 0;
  const ok = same(Y, Y2) && same(await Xr.download(), await Xr2.download());
  Xr.dispose();
  Xr2.dispose();
  return { kept, detached: moved.data.length === 0, keptByUpload, uploadDetached, ok };
}

async function errors() {
  const { X, options: o } = fixture(false);
  const local = T.transposedConv3dLayer(3, 4, o);
  const remote = await backend.transposedConv3dLayer(3, 4, o);
  const bad = T.dlarray(new Float32Array(2 * 2 * 2 * 5), [2, 2, 2, 5], "SSSC");
  let localError = null;
  try {
    local.predict(bad);
  } catch (e) {
    localError = e;
  }
  const remoteError = await rejection(remote.predict(bad));
  const stillWorks = same(await remote.predict(X), local.predict(X));
  const argument = await rejection(remote.predict(X, { out: "wasm" }));
  return {
    local: describeError(localError),
    remote: describeError(remoteError),
    sameClass: remoteError !== null && remoteError.constructor === localError?.constructor,
    stillWorks,
    argumentError: argument instanceof T.ArgumentError,
  };
}

async function terminate() {
  const b = await T.initWorker(options);
  const layer = await b.transposedConv3dLayer(3, 4);
  const { X } = fixture(false);
  const pending = layer.predict(X);
  b.terminate();
  const settled = await Promise.allSettled([pending, layer.predict(X), b.upload(X)]);
  return settled.map((s) => ({
    status: s.status,
    backendError: s.reason instanceof T.BackendError,
    code: s.reason?.code,
    message: s.reason?.message,
  }));
}

/**
 * Where the worker and the .wasm are, given by the caller: page-relative URLs (resolved against
 * the page, not the worker's script), and a single-file iife bundle of the worker from a blob:
 * URL (the test bundles it with esbuild, as a bundler would emit it).
 */
async function locations(bundle) {
  const { X, options: o } = fixture(false);
  const expected = T.transposedConv3dLayer(3, 4, o).predict(X);
  const wasmPaths = "../../packages/tconv3d/wasm/";
  const out = {};
  const tries = {
    relative: { variant: "simd", threads: 1, wasmPaths },
    explicitScript: {
      variant: "simd",
      threads: 1,
      apiWorkerUrl: "../../packages/tconv3d/dist/async/worker-web.js",
    },
  };
  if (bundle !== null) {
    const url = URL.createObjectURL(new Blob([bundle], { type: "text/javascript" }));
    // A bundle has no import.meta.url of the package to find its .wasm by: give their folder.
    tries.iifeBundle = {
      ...options,
      apiWorkerUrl: url,
      wasmPaths: new URL(wasmPaths, location.href),
    };
  }
  for (const [name, init] of Object.entries(tries)) {
    const b = await T.initWorker(init);
    try {
      const layer = await b.transposedConv3dLayer(3, 4, o);
      out[name] = { info: b.info, same: same(await layer.predict(X), expected) };
    } finally {
      b.terminate();
    }
  }
  return out;
}

let backend;

async function main() {
  const info = await T.init(options);
  backend = await T.initWorker(options);
  try {
    return {
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      info,
      workerInfo: backend.info,
      f32: await byValue(false),
      f64: await byValue(true),
      residency: await residency(),
      transfer: await transfer(),
      errors: await errors(),
      terminate: await terminate(),
      locations: await locations(window.__tconv3dWorkerBundle ?? null),
    };
  } finally {
    backend.terminate();
  }
}

// The test may first hand over a bundle of the worker (see locations()).
await new Promise((resolve) => {
  if (params.get("bundle") !== "1") resolve();
  else window.__tconv3dGo = resolve;
});

window.__tconv3dAsync = main().then(
  (result) => ({ ok: true, result }),
  (error) => ({ ok: false, error: String(error?.stack ?? error) }),
);
