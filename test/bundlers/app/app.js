// The app every bundler fixture builds: tconv3d as a user imports it, one layer's forward on
// deterministic data, the outcome in window.__tconv3d for the test to read.
import { backendInfo, dlarray, init, initWorker, transposedConv3dLayer } from "tconv3d";
import c from "./case.json" with { type: "json" };
// test/values.mjs, which the test copies beside this file.
import { values } from "./values.mjs";

const prod = (a) => a.reduce((x, y) => x * y, 1);

/** The layer's arguments, for the synchronous and the async API alike. */
function layerArgs() {
  const weightSize = [...c.filterSize, c.numFilters, c.xSize[3]];
  return [
    c.filterSize,
    c.numFilters,
    {
      stride: c.stride,
      cropping: c.cropping,
      weights: dlarray(values(prod(weightSize), 2), weightSize),
      bias: values(c.numFilters, 3),
    },
  ];
}

async function forward(options = {}) {
  await init(options);
  const X = dlarray(values(prod(c.xSize), 1), c.xSize, "SSSCB");
  const Y = transposedConv3dLayer(...layerArgs()).predict(X);
  // The same in the async API's worker (which the bundler emitted, or apiWorkerUrl names).
  const backend = await initWorker(options);
  const remote = await backend.transposedConv3dLayer(...layerArgs());
  const Z = await remote.predict(X);
  const asyncInfo = backend.info;
  backend.terminate();
  return {
    info: backendInfo(),
    size: Y.size,
    y: Array.from(Y.data),
    async: { info: asyncInfo, same: Z.data.every((v, i) => Object.is(v, Y.data[i])) },
  };
}

/** Runs the forward with `init(options)` and publishes the outcome. */
export function run(options) {
  window.__tconv3d = forward(options).then(
    (result) => ({ ok: true, result }),
    (error) => ({ ok: false, error: String(error?.stack ?? error) }),
  );
}
