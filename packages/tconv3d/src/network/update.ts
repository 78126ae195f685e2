/**
 * The optimizers on a whole {@link Dlnetwork}: one step of the layer's solver per transposed
 * convolution, each with its own learn-rate and L2 factors, the state one entry per layer.
 *
 * @module
 */

import { describeValue, isFloatArray } from "../dlarray/index.js";
import { ArgumentError, SizeError } from "../errors.js";
import type { TransposedConv3dLayer } from "../layer/layer.js";
import type { AdamState, LearnableGradients, SgdmState } from "../training/update.js";
import type { Dlnetwork, NetworkGradients } from "./network.js";

/** The state of `adamupdate` on a {@link Dlnetwork}: one {@link AdamState} per convolution. */
export type NetworkAdamState = readonly AdamState[];
/** The state of `sgdmupdate` on a {@link Dlnetwork}: one {@link SgdmState} per convolution. */
export type NetworkSgdmState = readonly SgdmState[];

/**
 * Checks the gradients and the state against every layer, then steps each layer. The checks
 * come first so that a mistake found at the last layer leaves the first ones unchanged.
 *
 * @internal
 */
export function updateNetwork<S extends AdamState | SgdmState>(
  net: Dlnetwork,
  grads: unknown,
  state: unknown,
  optimizer: S["optimizer"],
  step: (layer: TransposedConv3dLayer, grads: LearnableGradients, state: S | null) => S,
): readonly S[] {
  const where = `${optimizer}update`;
  const layers = net.learnableLayers;
  const list =
    grads !== null && typeof grads === "object"
      ? (grads as Partial<NetworkGradients>).gradients
      : undefined;
  if (!Array.isArray(list) || list.length !== layers.length) {
    throw new ArgumentError(
      `${where}: grads must be what net.backward returned ({ dLdX, gradients } with ${layers.length} entries, one per transposedConv3dLayer), got ${describeValue(grads)}`,
    );
  }
  const hasState = state !== undefined && state !== null;
  if (hasState) {
    if (!Array.isArray(state) || state.length !== layers.length) {
      throw new ArgumentError(
        `${where}: state must be undefined (first step) or what ${where}(net, ...) returned (${layers.length} entries), got ${describeValue(state)}`,
      );
    }
  }
  const states = (state ?? []) as readonly unknown[];
  for (const [i, layer] of layers.entries()) {
    const g = list[i] as Partial<LearnableGradients & { layer: string }> | null;
    if (g === null || typeof g !== "object" || g.layer !== layer.name) {
      throw new ArgumentError(
        `${where}: grads.gradients[${i}] must be the gradients of layer "${layer.name}", got ${describeValue(g)}`,
      );
    }
    const w = layer.weights;
    const b = layer.bias;
    if (w === null || b === null) {
      throw new ArgumentError(
        `${where}: layer "${layer.name}" has no learnables yet; call net.initialize(X) (or forward) first`,
      );
    }
    for (const [key, p] of [
      ["dLdW", w],
      ["dLdB", b],
    ] as const) {
      const v = g[key];
      const n = isFloatArray(v) ? v.length : (v?.numel ?? -1);
      if (n !== p.numel) {
        throw new SizeError(
          `${where}: grads.gradients[${i}].${key} has ${n < 0 ? describeValue(v) : `${n} values`}; expected ${p.numel} (layer "${layer.name}")`,
        );
      }
    }
    const s = states[i];
    if (hasState && (s === null || typeof s !== "object" || (s as S).optimizer !== optimizer)) {
      throw new ArgumentError(
        `${where}: state[${i}] must be a state of optimizer "${optimizer}", got ${describeValue(s)}`,
      );
    }
  }
  return Object.freeze(
    layers.map((layer, i) =>
      step(layer, list[i] as LearnableGradients, (states[i] as S | undefined) ?? null),
    ),
  );
}
