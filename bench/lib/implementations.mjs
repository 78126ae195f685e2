// The implementations bench/run.mjs times: tconv3d's builds and ways of calling, and the peers
// (onnxruntime-web, onnxruntime-node), each as { key, label, threads, load(), prepare(g, data) }.
//
// Several instances of one runtime in one process: see bench/lib/hooks.mjs.

import { register } from "node:module";
import { RELAXED } from "./keys.mjs";

register(new URL("./hooks.mjs", import.meta.url));

/** Imports a fresh instance of the module graph of `specifier` (bare or file URL). */
function importInstance(specifier, name) {
  const url = specifier.startsWith("file:") ? specifier : import.meta.resolve(specifier);
  return import(`${url}?benchInst=${encodeURIComponent(name)}`);
}

/** The WASM runtime of the tconv3d instance `inst` (as loaded by `loadImplementations`), for
 * timing the core's calls one by one. */
export async function runtimeOf(inst) {
  return (
    await import(
      `${new URL("./runtime/backend.js", import.meta.resolve("tconv3d"))}?benchInst=${inst}`
    )
  ).wasm();
}

/** @typedef {{ forward(): unknown, output(r: unknown): {data: Float32Array, shape: number[]},
 *   backward?: () => unknown, release(): Promise<void> | void }} Prepared */

/** `f64`: the layer in double precision; `reuse`: every call writes into the same output
 * arrays (the `out` options), as a training loop or repeated inference would; `wasm`: inputs
 * and reused outputs are WasmArrays (tensors that live in WASM memory). */
function tconv3dImpl(
  key,
  label,
  mod,
  initOptions,
  { f64 = false, reuse = false, wasm = false } = {},
) {
  return {
    key,
    label,
    suffix: wasm ? ", in WASM memory" : reuse ? ", outputs reused" : "",
    family: "tconv3d",
    threads: initOptions.threads,
    mod,
    async load() {
      this.info = await mod.init(initOptions);
      if (this.info.variant !== initOptions.variant || this.info.threads !== initOptions.threads) {
        throw new Error(`bench: ${label} loaded ${JSON.stringify(this.info)}`);
      }
    },
    async prepare(g, data) {
      // f64: the same values in double precision (the layer computes in X's precision).
      const cast = (v) => (f64 ? Float64Array.from(v) : v);
      const layer = mod.transposedConv3dLayer(g.ourFilter, g.Cout, {
        stride: g.ourStride,
        cropping: g.ourCropping,
        weights: mod.dlarray(cast(data.w), g.ourWeightSize),
        bias: cast(data.b),
      });
      const made = [];
      /** A WasmArray copy of `A` (filled, not timed), or `A` itself without `wasm`. */
      const place = (A) => {
        if (!wasm) return A;
        const W = mod.wasmArray(A.size, A.format, A.dtype);
        W.data.set(A.data);
        made.push(W);
        return W;
      };
      const X = place(mod.fromNCDHW(cast(data.x), g.xShape));
      const dY = data.dy ? place(mod.fromNCDHW(data.dy, g.yShape)) : null;
      // Outputs to reuse: made by one untimed call each.
      const Y = reuse || wasm ? place(layer.predict(X)) : undefined;
      const g0 = (reuse || wasm) && dY && !f64 ? layer.backward(X, dY) : undefined;
      const grads = g0 && { dLdX: place(g0.dLdX), dLdW: place(g0.dLdW), dLdB: place(g0.dLdB) };
      return {
        forward: () => layer.predict(X, { out: Y }),
        output: (Y) => Y.toNCDHW(),
        backward: dY && !f64 ? () => layer.backward(X, dY, { out: grads }) : undefined,
        release() {
          for (const W of made) W.dispose();
        },
      };
    },
  };
}

function ortImpl(key, label, family, ort, threads, sessionOptions) {
  return {
    key,
    label,
    family,
    threads,
    async load() {},
    async prepare(g, data) {
      const session = await ort.InferenceSession.create(data.model.slice(), sessionOptions);
      const x = new ort.Tensor("float32", data.x, g.xShape);
      return {
        forward: () => session.run({ x }),
        output: (r) => ({ data: r.y.data, shape: [...r.y.dims] }),
        release: () => session.release(),
      };
    },
  };
}

/** onnxruntime-node's native CPU provider with `threads` intra-op threads (key `node-tN`). */
export async function ortNodeImpl(threads) {
  const node = await import("onnxruntime-node");
  node.env.logLevel = "error";
  return ortImpl(`node-t${threads}`, "onnxruntime-node (native)", "ort-node", node, threads, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
}

/** Every implementation, loaded; the relaxed-SIMD build only where this runtime takes it. */
export async function loadImplementations() {
  const tc = {
    simd: await importInstance("tconv3d", "tconv3d-simd"),
    t1: await importInstance("tconv3d", "tconv3d-threads-1"),
    t2: await importInstance("tconv3d", "tconv3d-threads-2"),
    relaxed: await importInstance("tconv3d", "tconv3d-threads-relaxed-2"),
  };
  const web1 = await importInstance("onnxruntime-web", "ort-web-1");
  const web2 = await importInstance("onnxruntime-web", "ort-web-2");
  for (const [ort, n] of [
    [web1, 1],
    [web2, 2],
  ]) {
    ort.env.wasm.numThreads = n;
    ort.env.wasm.proxy = false;
    ort.env.wasm.simd = true;
    ort.env.logLevel = "error";
  }
  const webOpts = { executionProviders: ["wasm"], graphOptimizationLevel: "all" };
  const impls = [
    tconv3dImpl("tc-simd", "tconv3d simd", tc.simd, { variant: "simd", threads: 1 }),
    tconv3dImpl("tc-t1", "tconv3d simd-threads", tc.t1, { variant: "simd-threads", threads: 1 }),
    tconv3dImpl("tc-t2", "tconv3d simd-threads", tc.t2, { variant: "simd-threads", threads: 2 }),
    ...["out", "wasm"].flatMap((mode) =>
      [1, 2].map((n) =>
        tconv3dImpl(
          `tc-t${n}-${mode}`,
          "tconv3d simd-threads",
          n === 1 ? tc.t1 : tc.t2,
          { variant: "simd-threads", threads: n },
          { reuse: mode === "out", wasm: mode === "wasm" },
        ),
      ),
    ),
    ...["", "-out", "-wasm"].map((mode) =>
      tconv3dImpl(
        `tc-t2-f64${mode}`,
        "tconv3d simd-threads f64",
        tc.t2,
        { variant: "simd-threads", threads: 2 },
        { f64: true, reuse: mode === "-out", wasm: mode === "-wasm" },
      ),
    ),
    ortImpl("web-t1", "onnxruntime-web (wasm)", "ort-web", web1, 1, webOpts),
    ortImpl("web-t2", "onnxruntime-web (wasm)", "ort-web", web2, 2, webOpts),
    await ortNodeImpl(1),
    await ortNodeImpl(2),
  ];
  for (const impl of impls) await impl.load();
  // The relaxed-SIMD build, when this runtime takes it (Node 20: --experimental-wasm-relaxed-simd,
  // which `pnpm bench` passes).
  const relaxed = tconv3dImpl(RELAXED, "tconv3d simd-threads-relaxed", tc.relaxed, {
    variant: "simd-threads-relaxed",
    threads: 2,
  });
  try {
    await relaxed.load();
    impls.splice(
      impls.findIndex((i) => i.key === "web-t1"),
      0,
      relaxed,
    );
  } catch (e) {
    console.error(`bench: no relaxed-SIMD row: ${e.message}`);
  }
  return impls;
}
