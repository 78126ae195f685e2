// The main job on built-in data: a 4-layer volumetric generator (3D-GAN style decoder) whose
// weights come from the layers' own seeded initializers. Prints each layer's output size, time
// and GFLOP/s, the same pass with the activations kept in WASM memory, then a backward pass
// through the last layer.
import { backendInfo, dlarray, init, rngSeed, transposedConv3dLayer } from "tconv3d";

const info = await init();
console.log(`tconv3d backend: ${info.variant}, ${info.threads} thread(s), SIMD128 ${info.simd}`);
rngSeed(42);

const layers = [
  transposedConv3dLayer(4, 256, { name: "up1" }), //                 1^3 x 128 -> 4^3 x 256
  transposedConv3dLayer(4, 128, { stride: 2, cropping: 1, name: "up2" }), // -> 8^3 x 128
  transposedConv3dLayer(4, 64, { stride: 2, cropping: 1, name: "up3" }), //  -> 16^3 x 64
  transposedConv3dLayer(4, 1, { stride: 2, cropping: "same", name: "up4" }), // -> 32^3 x 1
];

const relu = (Y) => {
  const d = Y.data; // once: a WasmArray's data is a fresh view when memory has grown
  for (let i = 0; i < d.length; i++) if (d[i] < 0) d[i] = 0;
  return Y;
};

// A fixed latent code.
const z = dlarray(
  Float32Array.from({ length: 128 }, (_, i) => Math.sin(i + 1)),
  [1, 1, 1, 128, 1],
  "SSSCB",
);

// With `inWasm`, every output is a WasmArray (made by the first call, written again by the
// next ones): nothing is copied between JS and WASM memory.
const outs = [];
function run(inWasm = false) {
  let X = z;
  const rows = [];
  for (const [i, layer] of layers.entries()) {
    const t0 = performance.now();
    const Y = inWasm ? layer.predict(X, { out: outs[i] ?? "wasm" }) : layer.predict(X);
    if (inWasm) outs[i] = Y;
    const ms = performance.now() - t0;
    const c = X.size[3];
    const flops = 2 * c * layer.numFilters * 64 * X.size[0] * X.size[1] * X.size[2];
    rows.push({
      layer: layer.name,
      input: X.size.join("x"),
      output: Y.size.join("x"),
      ms,
      gflops: flops / ms / 1e6,
    });
    X = i < layers.length - 1 ? relu(Y) : Y;
  }
  return { volume: X, rows };
}

run(); // warm-up: initializes the weights and packs them once
const { volume, rows } = run();
for (const r of rows) {
  console.log(
    `${r.layer.padEnd(4)} ${r.input.padStart(14)} -> ${r.output.padEnd(14)} ${r.ms.toFixed(1).padStart(8)} ms ${r.gflops.toFixed(2).padStart(7)} GFLOP/s`,
  );
}
const totalMs = (rs) => rs.reduce((s, r) => s + r.ms, 0);
let sum = 0;
for (const v of volume.data) sum += v;
console.log(
  `volume ${volume.size.join("x")} (${volume.format}), mean ${(sum / volume.numel).toExponential(4)}, forward total ${totalMs(rows).toFixed(1)} ms`,
);
run(true); // warm-up: makes the WasmArray outputs
const inWasm = run(true);
const same = inWasm.volume.data.every((v, i) => v === volume.data[i]);
console.log(
  `activations in WASM memory (WasmArray outputs reused): forward total ${totalMs(inWasm.rows).toFixed(1)} ms, same volume: ${same}`,
);
for (const Y of outs) Y.dispose();

const last = layers[3];
const X3 = relu(layers[2].predict(relu(layers[1].predict(relu(layers[0].predict(z))))));
const t0 = performance.now();
const g = last.backward(X3, volume);
console.log(
  `backward through up4: dLdX ${g.dLdX.size.join("x")}, dLdW ${g.dLdW.size.join("x")}, dLdB ${g.dLdB.size.join("x")} in ${(performance.now() - t0).toFixed(1)} ms`,
);
console.log(`backend after run: ${JSON.stringify(backendInfo())}`);
