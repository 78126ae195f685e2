import { backendInfo, dlarray, init, transposedConv3dLayer } from "tconv3d";

await init(); // threads and relaxed SIMD where the runtime has them
const layer = transposedConv3dLayer(3, 2, { stride: 2, cropping: 1, weightsInitializer: "ones" });
const x = Float32Array.from({ length: 4 * 4 * 4 * 3 }, (_, i) => i % 5); // 0 1 2 3 4 0 1 ...
const Y = layer.predict(dlarray(x, [4, 4, 4, 3], "SSSC")); // a 4x4x4 volume, 3 channels
const sum = Y.data.reduce((s, v) => s + v, 0);
const sumSq = Y.data.reduce((s, v) => s + v * v, 0);
console.log(Y.size.join("x"), Y.format, sum, sumSq); // 7x7x7x2 SSSC 11750 292174
console.log(JSON.stringify(backendInfo())); // {"variant":"simd-threads-relaxed",...,"threads":2}
