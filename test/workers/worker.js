// A Cloudflare Worker (module syntax) that runs tconv3d in workerd: the single-threaded SIMD
// build imported as a compiled module (Workers compile no WASM from bytes and read no files),
// handed to init({ module }). test/workers.test.ts runs it under Miniflare.
//
//   GET  /init?with=none|bytes|module   init() without a module, with bytes, or with the module
//   POST /layer                         a layer's forward and backward on the posted case, and
//                                       the error of a call with the wrong channel count before

import { dlarray, init, transposedConv3dLayer } from "tconv3d";
import wasm from "../../packages/tconv3d/wasm/simd/tconv3d_wasm_bg.wasm";

/** A tiny valid module (header only): bytes that a runtime allowing compilation would take. */
const EMPTY_MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);

async function initWith(how) {
  if (how === "none") return init();
  if (how === "bytes") return init({ module: EMPTY_MODULE });
  return init({ module: wasm });
}

function runLayer(c) {
  const layer = transposedConv3dLayer(c.filter, c.numFilters, {
    stride: c.stride,
    cropping: c.cropping,
    weights: dlarray(Float32Array.from(c.weights), c.weightSize),
    bias: Float32Array.from(c.bias),
  });
  const X = dlarray(Float32Array.from(c.x), c.xSize, c.format);
  let badChannels = "";
  try {
    layer.predict(
      dlarray(
        new Float32Array(c.xSize[0] * c.xSize[1] * c.xSize[2]),
        [...c.xSize.slice(0, 3), 1],
        c.format,
      ),
    );
  } catch (e) {
    badChannels = String(e?.message ?? e);
  }
  const Y = layer.predict(X);
  const g = layer.backward(X, dlarray(Float32Array.from(c.dy), Y.size, c.format));
  const out = (A) => ({ size: A.size, data: Array.from(A.data) });
  return { badChannels, y: out(Y), dLdX: out(g.dLdX), dLdW: out(g.dLdW), dLdB: out(g.dLdB) };
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/init") {
        return Response.json({ ok: true, info: await initWith(url.searchParams.get("with")) });
      }
      if (url.pathname === "/layer") {
        return Response.json({ ok: true, result: runLayer(await request.json()) });
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      return Response.json({ ok: false, error: String(e?.message ?? e) });
    }
  },
};
