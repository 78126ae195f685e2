// The demo's decoder and its training step, shared by the terminal demo and the web page's
// worker: low-resolution volumes in, volumes 4x larger per side out.
import {
  adamupdate,
  dlarray,
  dlnetwork,
  leakyReluLayer,
  sigmoidLayer,
  transposedConv3dLayer,
} from "tconv3d";
import { batch, rng } from "./shapes.mjs";

/** Each side of the input is the output's divided by this (two stride-2 layers). */
export const FACTOR = 4;

/** The decoder: n/4 -> n/2 -> n per side, then a 3^3 convolution to one channel. */
export function decoder() {
  return dlnetwork([
    transposedConv3dLayer(4, 16, { stride: 2, cropping: 1, name: "up1" }),
    leakyReluLayer(0.1),
    transposedConv3dLayer(4, 8, { stride: 2, cropping: 1, name: "up2" }),
    leakyReluLayer(0.1),
    transposedConv3dLayer(3, 1, { cropping: "same", name: "out" }),
    sigmoidLayer(),
  ]);
}

/** Multiply-adds x 2 of a forward pass through the convolutions for input `size`. */
function forwardFlops(net, size) {
  let [w, h, d, , b] = size;
  let flops = 0;
  for (const layer of net.learnableLayers) {
    const [k1, k2, k3] = layer.filterSize;
    flops += 2 * w * h * d * b * layer.numChannels * layer.numFilters * k1 * k2 * k3;
    [w, h, d] = [w, h, d].map((v, i) => v * layer.stride[i]);
  }
  return flops;
}

/**
 * A training run: `step()` draws a batch of new shapes, runs forward, the mean squared error,
 * backward and one Adam step, and returns the loss; `evaluate(shapes)` runs predict.
 */
export function trainer({ size = 32, batchSize = 4, seed = 1, learnRate = 0.01 } = {}) {
  if (!Number.isInteger(size) || size < 8 || size % FACTOR !== 0) {
    throw new RangeError(`size must be a multiple of ${FACTOR}, at least 8; got ${size}`);
  }
  const net = decoder().initialize(dlarray(new Float32Array(1), [1, 1, 1, 1], "SSSC"));
  const draw = rng(seed);
  const m = size / FACTOR;
  const inputSize = [m, m, m, 1, batchSize];
  const flopsPerStep = 3 * forwardFlops(net, inputSize); // backward: about twice the forward
  let state;
  return {
    net,
    size,
    batchSize,
    flopsPerStep,
    step() {
      const { input, target } = batch(draw, batchSize, size, FACTOR);
      const trace = net.forward(dlarray(input, inputSize, "SSSCB"));
      const y = trace.Y.data;
      const dLdY = new Float32Array(y.length);
      let loss = 0;
      for (let i = 0; i < y.length; i++) {
        const e = y[i] - target[i];
        loss += e * e;
        dLdY[i] = (2 * e) / y.length;
      }
      const grads = net.backward(trace, dlarray(dLdY, trace.Y.size, "SSSCB"));
      state = adamupdate(net, grads, state, { learnRate, l2Regularization: 0 });
      return loss / y.length;
    },
    /** `count` held-out shapes (a stream of their own): input, prediction, target, loss. */
    evaluate(count) {
      const { input, target } = batch(rng(seed + 1_000_000), count, size, FACTOR);
      const Y = net.predict(dlarray(input, [m, m, m, 1, count], "SSSCB"));
      let loss = 0;
      for (let i = 0; i < target.length; i++) loss += (Y.data[i] - target[i]) ** 2;
      return { input, prediction: Y.data, target, loss: loss / target.length };
    },
  };
}
