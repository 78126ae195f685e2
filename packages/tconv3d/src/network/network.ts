/**
 * MATLAB's `dlnetwork` for a layer array: a sequential network of transposed 3-D convolutions
 * and element-wise activations, with `predict`, `forward`/`backward` (the learnables' gradients,
 * chained through the layers), the optimizers through `adamupdate(net, ...)` /
 * `sgdmupdate(net, ...)`, and its learnables saved to and loaded from safetensors.
 *
 * @module
 */

import { DlArray, describeValue, type FloatArray, type SameDtype } from "../dlarray/index.js";
import { ArgumentError, FormatError, SizeError } from "../errors.js";
import { parseSafetensors, type SafetensorsTensor, saveSafetensors } from "../io/safetensors.js";
import { TransposedConv3dLayer } from "../layer/layer.js";
import { ActivationLayer } from "./activations.js";

/** A layer a {@link Dlnetwork} can hold. */
export type NetworkLayer = TransposedConv3dLayer | ActivationLayer;

/** One learnable parameter of a network (a row of MATLAB's `net.Learnables` table). */
export interface NetworkLearnable {
  /** The layer's name. */
  readonly layer: string;
  /** `"Weights"` or `"Bias"`. */
  readonly parameter: "Weights" | "Bias";
  /** A copy of the value (`null` before the network is initialized). */
  readonly value: DlArray | null;
}

/** The gradients of one transposed convolution layer of a network. */
export interface LayerGradients<T extends FloatArray = FloatArray> {
  /** The layer's name. */
  readonly layer: string;
  /** Gradient with respect to the weights (their size). */
  readonly dLdW: DlArray<T>;
  /** Gradient with respect to the bias (its size). */
  readonly dLdB: DlArray<T>;
}

/** What {@link Dlnetwork.backward} returns. */
export interface NetworkGradients<T extends FloatArray = FloatArray> {
  /** Gradient with respect to the network's input. */
  readonly dLdX: DlArray<T>;
  /** One entry per transposed convolution layer, in network order. */
  readonly gradients: readonly LayerGradients<T>[];
}

/**
 * What {@link Dlnetwork.forward} returns: the output and every layer's input, which
 * {@link Dlnetwork.backward} reads.
 */
export class NetworkTrace<T extends FloatArray = FloatArray> {
  /** The network that made it. */
  readonly network: Dlnetwork;
  /** `activations[i]` is the input of layer `i`; the last one is the output `Y`. */
  readonly activations: readonly DlArray<T>[];

  /** @internal Made by {@link Dlnetwork.forward}. */
  constructor(network: Dlnetwork, activations: readonly DlArray<T>[]) {
    this.network = network;
    this.activations = Object.freeze([...activations]);
  }

  /** The network's output. */
  get Y(): DlArray<T> {
    return this.activations[this.activations.length - 1] as DlArray<T>;
  }
}

const WHERE = "dlnetwork";

/**
 * A sequential network (MATLAB's `dlnetwork` of a layer array); make it with
 * {@link dlnetwork}.
 *
 * The network holds the layers themselves, not copies: `net.layers[i]` is the layer passed in,
 * and the optimizers update its learnables in place.
 */
export class Dlnetwork {
  /** The layers, in order. */
  readonly layers: readonly NetworkLayer[];
  #initialized = false;

  /** @internal Use {@link dlnetwork}. */
  constructor(layers: readonly NetworkLayer[]) {
    this.layers = Object.freeze([...layers]);
    // Layers made with their weights and bias need no initialization.
    this.#initialized = this.learnableLayers.every((l) => l.weights !== null && l.bias !== null);
  }

  /** The transposed convolution layers, in order (the layers with learnables). */
  get learnableLayers(): readonly TransposedConv3dLayer[] {
    return this.layers.filter((l) => l instanceof TransposedConv3dLayer);
  }

  /** Whether every learnable exists (after {@link Dlnetwork.initialize} or a first call). */
  get initialized(): boolean {
    return this.#initialized;
  }

  /** The learnables, two rows (weights, bias) per transposed convolution (copies). */
  get learnables(): readonly NetworkLearnable[] {
    return this.learnableLayers.flatMap((l) => [
      { layer: l.name, parameter: "Weights" as const, value: l.weights },
      { layer: l.name, parameter: "Bias" as const, value: l.bias },
    ]);
  }

  /**
   * Initializes the learnables for inputs with the channel count of `X` (MATLAB's
   * `initialize(net, X)`): each layer's `NumChannels` is resolved and its empty weights and
   * bias drawn from its initializers. Only the channels of `X` are read.
   *
   * @throws ArgumentError when `X` is not a {@link DlArray}; FormatError when it has no `C`
   *   dimension; SizeError when its channels do not fit the first convolution.
   */
  initialize(X: DlArray): this {
    const where = `${WHERE}.initialize`;
    checkInput(X, where);
    const c = X.finddim("C")[0];
    if (c === undefined) {
      throw new FormatError(
        `${where}: X has format ${describeValue(X.format)}; expected a C (channel) dimension, e.g. "SSSCB"`,
      );
    }
    let channels = X.size[c] as number;
    for (const [i, layer] of this.layers.entries()) {
      if (!(layer instanceof TransposedConv3dLayer)) continue;
      if (layer.numChannels !== "auto" && layer.numChannels !== channels) {
        throw new SizeError(
          `${where}: layer ${i} ("${layer.name}") has NumChannels = ${layer.numChannels}; its input has ${channels} channels`,
        );
      }
      // One voxel of the right channel count is all initialize reads.
      layer.initialize(new DlArray(new Float32Array(channels), [1, 1, 1, channels], "SSSC"));
      channels = layer.numFilters;
    }
    this.#initialized = true;
    return this;
  }

  /**
   * The forward pass for inference (MATLAB's `predict(net, X)`). Initializes the learnables on
   * the first call when they are empty.
   *
   * @param X - the input, e.g. `"SSSCB"` with the first layer's channel count.
   * @returns the output, in the precision of `X`.
   * @throws as each layer's `predict` does (FormatError, SizeError, ...), and ArgumentError when
   *   `X` is not a {@link DlArray}.
   */
  predict<T extends FloatArray>(X: DlArray<T>): DlArray<SameDtype<T>> {
    return this.forward(X).Y;
  }

  /**
   * The forward pass for training (MATLAB's `forward(net, X)`): the output and every layer's
   * input, for {@link Dlnetwork.backward}.
   *
   * @returns the trace; its `Y` is the output.
   * @throws as {@link Dlnetwork.predict}.
   */
  forward<T extends FloatArray>(X: DlArray<T>): NetworkTrace<SameDtype<T>> {
    checkInput(X, `${WHERE}.forward`);
    if (!this.#initialized) this.initialize(X);
    const activations: DlArray[] = [X];
    let a: DlArray = X;
    for (const layer of this.layers) {
      a = layer.predict(a);
      activations.push(a);
    }
    return new NetworkTrace(this, activations as DlArray<SameDtype<T>>[]);
  }

  /**
   * The gradients of a loss with respect to the input and every learnable, given the gradient
   * `dLdY` with respect to the output of {@link Dlnetwork.forward} (what MATLAB's
   * `dlgradient(loss, net.Learnables)` gives for this network). Call it before the learnables
   * change: the layers' current weights are used.
   *
   * @param trace - what `forward` returned (for this network).
   * @param dLdY - the gradient with respect to `trace.Y` (its size and format).
   * @returns `{ dLdX, gradients }`: one `{ layer, dLdW, dLdB }` per transposed convolution.
   * @throws ArgumentError for a trace of another network; SizeError for a `dLdY` of another size.
   */
  backward<T extends FloatArray>(trace: NetworkTrace<T>, dLdY: DlArray): NetworkGradients<T> {
    const where = `${WHERE}.backward`;
    if (!(trace instanceof NetworkTrace) || trace.network !== this) {
      throw new ArgumentError(
        `${where}: trace must be what this network's forward(X) returned, got ${describeValue(trace)}`,
      );
    }
    if (!(dLdY instanceof DlArray)) {
      throw new ArgumentError(`${where}: dLdY must be a DlArray, got ${describeValue(dLdY)}`);
    }
    const a = trace.activations;
    const gradients: LayerGradients<T>[] = [];
    let g: DlArray = dLdY;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i] as NetworkLayer;
      const x = a[i] as DlArray<T>;
      if (layer instanceof TransposedConv3dLayer) {
        const { dLdX, dLdW, dLdB } = layer.backward(x, g);
        gradients.push({ layer: layer.name, dLdW, dLdB } as LayerGradients<T>);
        g = dLdX;
      } else {
        g = layer.backward(x, a[i + 1] as DlArray, g);
      }
    }
    return { dLdX: g as DlArray<T>, gradients: Object.freeze(gradients.reverse()) };
  }

  /**
   * Writes every learnable as one safetensors file: `<layer name>.weight` and
   * `<layer name>.bias` per transposed convolution, in the layout of
   * {@link TransposedConv3dLayer.saveWeights} (PyTorch's `ConvTranspose3d` state_dict layout).
   *
   * @param metadata - optional `__metadata__` (string values).
   * @throws ArgumentError when the network is not initialized.
   */
  saveLearnables(metadata?: Readonly<Record<string, string>>): Uint8Array {
    if (!this.#initialized) {
      throw new ArgumentError(
        `${WHERE}.saveLearnables: the network has no learnables yet; call initialize(X) first`,
      );
    }
    const tensors = new Map<string, { data: FloatArray; shape: readonly number[] }>();
    for (const layer of this.learnableLayers) {
      const file = parseSafetensors(layer.saveWeights(tensorNames(layer))).tensors;
      for (const [name, t] of file)
        tensors.set(name, { data: t.data as FloatArray, shape: t.shape });
    }
    return saveSafetensors(tensors, metadata);
  }

  /**
   * Sets every learnable from a safetensors file written by {@link Dlnetwork.saveLearnables}
   * (or a PyTorch state_dict whose module names are the layer names). Either all layers are set
   * or, on any error, none. Tensors the network does not name are ignored.
   *
   * @param source - the file's bytes, or the tensors {@link loadSafetensors} returned.
   * @returns this network (initialized).
   * @throws FileFormatError for a malformed file; ArgumentError naming a missing tensor;
   *   SizeError naming a tensor of the wrong shape.
   */
  loadLearnables(source: Uint8Array | ArrayBuffer | ReadonlyMap<string, SafetensorsTensor>): this {
    const tensors =
      source instanceof Map
        ? (source as ReadonlyMap<string, SafetensorsTensor>)
        : parseSafetensors(source as Uint8Array | ArrayBuffer).tensors;
    const layers = this.learnableLayers;
    const before = layers.map((l) => ({ weights: l.weights, bias: l.bias }));
    try {
      for (const layer of layers) layer.loadWeights(tensors, tensorNames(layer));
      // Channels chain as initialize checks them (a file may hold another network's sizes).
      let channels: number | null = null;
      for (const [i, layer] of this.layers.entries()) {
        if (!(layer instanceof TransposedConv3dLayer)) continue;
        if (channels !== null && layer.numChannels !== channels) {
          throw new SizeError(
            `${WHERE}.loadLearnables: tensor "${tensorNames(layer).weight}" gives layer ${i} ("${layer.name}") ${layer.numChannels} input channels; the layer before it has ${channels} filters`,
          );
        }
        channels = layer.numFilters;
      }
    } catch (e) {
      for (const [i, layer] of layers.entries()) {
        const b = before[i] as { weights: DlArray | null; bias: DlArray | null };
        layer.weights = b.weights;
        layer.bias = b.bias;
      }
      throw e;
    }
    this.#initialized = true;
    return this;
  }

  /** Node's `util.inspect` (and `console.log`) shows {@link Dlnetwork.toString}. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** A display in the spirit of MATLAB's: the layers, one line each. */
  toString(): string {
    const rows = this.layers.map((l, i) => {
      const what =
        l instanceof TransposedConv3dLayer
          ? `${l.numFilters} ${l.filterSize.join("x")} transposed convolutions, stride [${l.stride.join(" ")}]`
          : l.type;
      return `    ${String(i + 1).padStart(3)}   '${l.name}'   ${what}`;
    });
    return [
      "  dlnetwork with properties:",
      "",
      `         Layers: [${this.layers.length}x1 layer array]`,
      ...rows,
      `    Initialized: ${this.#initialized ? 1 : 0}`,
    ].join("\n");
  }
}

/** The tensor names of a layer's learnables in a network's safetensors file. */
function tensorNames(layer: TransposedConv3dLayer): { weight: string; bias: string } {
  return { weight: `${layer.name}.weight`, bias: `${layer.name}.bias` };
}

function checkInput(X: unknown, where: string): asserts X is DlArray {
  if (!(X instanceof DlArray)) {
    throw new ArgumentError(`${where}: X must be a DlArray, got ${describeValue(X)}`);
  }
}

/** MATLAB's default layer names, per kind, numbered from 1 in each network. */
function kindOf(layer: NetworkLayer): string {
  if (layer instanceof TransposedConv3dLayer) return "transposed-conv3d";
  return layer.type.replace(/Layer$/, "").toLowerCase();
}

/**
 * Creates a sequential network from a layer array (MATLAB's `dlnetwork(layers)`), optionally
 * initialized for inputs like `X` (MATLAB's `dlnetwork(layers, X)`).
 *
 * ```ts
 * const net = dlnetwork([
 *   transposedConv3dLayer(4, 16, { stride: 2, cropping: 1 }),
 *   reluLayer(),
 *   transposedConv3dLayer(4, 1, { stride: 2, cropping: 1 }),
 *   sigmoidLayer(),
 * ]);
 * const { Y } = net.forward(X);
 * ```
 *
 * Unnamed layers are named by kind and count: `"transposed-conv3d_1"`,
 * `"relu_1"`, `"leakyrelu_1"`, `"tanh_1"`, `"sigmoid_1"` (the name is set on the layer).
 *
 * @param layers - transposed convolution and activation layers, at least one convolution; each
 *   layer once, names unique.
 * @param X - an example input (only its channels are read): initializes the learnables now.
 * @returns the network.
 * @throws ArgumentError for a malformed layer array (naming the index) or repeated names;
 *   SizeError for consecutive convolutions whose channels do not chain (a layer's `NumChannels`
 *   against the `NumFilters` before it) or for `X` of the wrong channel count.
 */
export function dlnetwork(layers: readonly NetworkLayer[], X?: DlArray): Dlnetwork {
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new ArgumentError(
      `${WHERE}: layers must be a nonempty array of layers (transposedConv3dLayer, reluLayer, leakyReluLayer, tanhLayer, sigmoidLayer), got ${describeValue(layers)}`,
    );
  }
  const seen = new Set<NetworkLayer>();
  for (const [i, l] of layers.entries()) {
    if (!(l instanceof TransposedConv3dLayer || l instanceof ActivationLayer)) {
      throw new ArgumentError(
        `${WHERE}: layers[${i}] must be a layer (transposedConv3dLayer, reluLayer, leakyReluLayer, tanhLayer, sigmoidLayer), got ${describeValue(l)}`,
      );
    }
    if (seen.has(l)) {
      throw new ArgumentError(
        `${WHERE}: layers[${i}] ("${l.name}") is the same layer object as an earlier one; make a new layer for each position`,
      );
    }
    seen.add(l);
  }
  if (!layers.some((l) => l instanceof TransposedConv3dLayer)) {
    throw new ArgumentError(
      `${WHERE}: layers holds no transposedConv3dLayer; expected at least one (the learnables)`,
    );
  }
  // Names first (the layers are renamed only once the whole array is accepted).
  const given = new Set(layers.map((l) => l.name).filter((n) => n !== ""));
  const counts = new Map<string, number>();
  const names = layers.map((l) => {
    if (l.name !== "") return l.name;
    const kind = kindOf(l);
    let n = counts.get(kind) ?? 0;
    do n++;
    while (given.has(`${kind}_${n}`));
    counts.set(kind, n);
    return `${kind}_${n}`;
  });
  for (const [i, name] of names.entries()) {
    const earlier = names.indexOf(name);
    if (earlier !== i) {
      throw new ArgumentError(
        `${WHERE}: layers[${i}] and layers[${earlier}] are both named "${name}"; expected unique names`,
      );
    }
  }
  let prev: { index: number; layer: TransposedConv3dLayer } | null = null;
  for (const [i, l] of layers.entries()) {
    if (!(l instanceof TransposedConv3dLayer)) continue;
    if (prev !== null && l.numChannels !== "auto" && l.numChannels !== prev.layer.numFilters) {
      throw new SizeError(
        `${WHERE}: layers[${i}] ("${names[i]}") has NumChannels = ${l.numChannels}; expected ${prev.layer.numFilters}, the NumFilters of layers[${prev.index}] ("${names[prev.index]}")`,
      );
    }
    prev = { index: i, layer: l };
  }
  for (const [i, l] of layers.entries()) l.name = names[i] as string;
  const net = new Dlnetwork(layers);
  if (X !== undefined) net.initialize(X);
  return net;
}
