/**
 * {@link RemoteLayer}: a `transposedConv3dLayer` that lives in an API worker, with the
 * synchronous layer's methods returning Promises.
 *
 * @module
 */

import type { DlArray, FloatArray } from "../dlarray/index.js";
import type { Gradients } from "../functional/ops.js";
import type { Vec3 } from "../functional/options.js";
import type { WeightNames } from "../io/layer-weights.js";
import type { SafetensorsTensor } from "../io/safetensors.js";
import type { BiasInitializerName, WeightsInitializerName } from "../layer/initializers.js";
import type { Channel } from "./channel.js";
import { decodeResult, Encoder } from "./codec.js";
import {
  type ArrayInput,
  backwardOut,
  callOptions,
  forwardOut,
  type RemoteBackwardOptions,
  type RemoteGradientOutputs,
  type RemoteGradients,
  type RemotePredictOptions,
  syncOptions,
  type TransferOption,
  transferOnly,
} from "./options.js";
import type { LayerMethod, LayerSnapshot, WireLayer } from "./protocol.js";
import { type RemoteArray, RemoteObject } from "./remote.js";

/** The properties {@link RemoteLayer.setProperties} changes. */
export interface RemoteLayerProperties {
  /** Layer name. */
  name?: string;
  /** Learning-rate factor of the weights (nonnegative). */
  weightLearnRateFactor?: number;
  /** Learning-rate factor of the bias (nonnegative). */
  biasLearnRateFactor?: number;
  /** L2 regularization factor of the weights (nonnegative). */
  weightL2Factor?: number;
  /** L2 regularization factor of the bias (nonnegative). */
  biasL2Factor?: number;
  /** A built-in weights initializer (functions cannot be sent to the worker). */
  weightsInitializer?: WeightsInitializerName;
  /** A built-in bias initializer. */
  biasInitializer?: BiasInitializerName;
}

const vec3 = (v: readonly number[]): Vec3 => Object.freeze([...v]) as unknown as Vec3;

/**
 * A transposed 3-D convolution layer in an API worker; create it with
 * {@link WorkerBackend.transposedConv3dLayer}. The methods are the synchronous
 * {@link TransposedConv3dLayer}'s, run in the worker, returning Promises; they run in the order
 * they are called. Arrays go by value (copied, or transferred with `{ transfer: true }`) or stay
 * resident ({@link RemoteArray}). The properties read the layer as of its last call.
 */
export class RemoteLayer extends RemoteObject {
  #p: LayerSnapshot;

  /** @internal Made by the worker backend. */
  constructor(channel: Channel, wire: WireLayer) {
    super(channel, wire.handle);
    this.#p = wire.snapshot;
  }

  /** Layer name. */
  get name(): string {
    return this.#p.name;
  }
  /** Filter lengths `[h, w, d]`. */
  get filterSize(): Vec3 {
    return vec3(this.#p.filterSize);
  }
  /** Number of filters (output channels). */
  get numFilters(): number {
    return this.#p.numFilters;
  }
  /** Number of input channels, or `"auto"` until the first input or weights fix it. */
  get numChannels(): number | "auto" {
    return this.#p.numChannels;
  }
  /** Step along each spatial dimension. */
  get stride(): Vec3 {
    return vec3(this.#p.stride);
  }
  /** Dilation along each spatial dimension. */
  get dilationFactor(): Vec3 {
    return vec3(this.#p.dilationFactor);
  }
  /** Number of channel groups. */
  get numGroups(): number {
    return this.#p.numGroups;
  }
  /** Samples added at the end of each spatial dimension. */
  get outputPadding(): Vec3 {
    return vec3(this.#p.outputPadding);
  }
  /** `"same"` or `"manual"`. */
  get croppingMode(): "same" | "manual" {
    return this.#p.croppingMode;
  }
  /** Crops `[[top, left, front], [bottom, right, back]]`, as the synchronous layer's. */
  get croppingSize(): [[number, number, number], [number, number, number]] {
    const [b, e] = this.#p.croppingSize;
    return [[...b] as [number, number, number], [...e] as [number, number, number]];
  }
  /** Learning-rate factor of the weights. */
  get weightLearnRateFactor(): number {
    return this.#p.weightLearnRateFactor;
  }
  /** Learning-rate factor of the bias. */
  get biasLearnRateFactor(): number {
    return this.#p.biasLearnRateFactor;
  }
  /** L2 regularization factor of the weights. */
  get weightL2Factor(): number {
    return this.#p.weightL2Factor;
  }
  /** L2 regularization factor of the bias. */
  get biasL2Factor(): number {
    return this.#p.biasL2Factor;
  }
  /** The weights initializer's name. */
  get weightsInitializer(): WeightsInitializerName {
    return this.#p.weightsInitializer as WeightsInitializerName;
  }
  /** The bias initializer's name. */
  get biasInitializer(): BiasInitializerName {
    return this.#p.biasInitializer as BiasInitializerName;
  }
  /** Whether the weights and bias exist (given, or made by `initialize`/the first call). */
  get initialized(): boolean {
    return this.#p.initialized;
  }

  /** Runs `method` on the worker's layer; each argument encoded under its name. */
  async #call(
    method: LayerMethod,
    named: Readonly<Record<string, unknown>>,
    move = false,
  ): Promise<unknown> {
    const where = `transposedConv3dLayer.${method}`;
    const enc = new Encoder(this.channel, move, where);
    const target = RemoteObject.handleOf(this, this.channel, where, "the layer");
    const args = Object.entries(named).map(([name, v]) => enc.encode(v, name));
    const outcome = await this.channel.request(
      { op: "call", target, method, args },
      enc.transfer,
      named,
    );
    if (outcome.layer !== undefined) this.#p = outcome.layer;
    return decodeResult(outcome.value, this.channel);
  }

  /**
   * The forward pass (the synchronous `predict`), in the worker.
   *
   * @param X - the input, by value or resident.
   * @param options - `out` (where the output goes: see {@link RemotePredictOptions}) and
   *   `transfer`.
   * @returns a {@link RemoteArray} for resident outputs, else a {@link DlArray}.
   */
  predict(
    X: RemoteArray,
    options?: RemotePredictOptions & { readonly out?: "remote" | RemoteArray },
  ): Promise<RemoteArray>;
  predict(
    X: ArrayInput,
    options: RemotePredictOptions & { readonly out: "remote" | RemoteArray },
  ): Promise<RemoteArray>;
  predict(
    X: DlArray,
    options?: RemotePredictOptions & { readonly out?: "local" },
  ): Promise<DlArray>;
  predict(
    X: ArrayInput,
    options: RemotePredictOptions & { readonly out: "local" },
  ): Promise<DlArray>;
  predict(X: ArrayInput, options?: RemotePredictOptions): Promise<DlArray | RemoteArray>;
  async predict(X: ArrayInput, options?: RemotePredictOptions): Promise<DlArray | RemoteArray> {
    const where = "transposedConv3dLayer.predict";
    const { rest, out, move } = callOptions(options, where);
    const sync = syncOptions(rest, forwardOut(out, X, where));
    return (await this.#call("predict", { X, options: sync }, move)) as DlArray | RemoteArray;
  }

  /**
   * Gradients of a loss with respect to the input, weights and bias (the synchronous
   * `backward`), in the worker.
   *
   * @param options - `out` (see {@link RemoteBackwardOptions}) and `transfer`.
   * @returns {@link RemoteGradients} for resident outputs, else {@link Gradients}.
   */
  backward(
    X: RemoteArray,
    dLdY: ArrayInput,
    options?: RemoteBackwardOptions & { readonly out?: "remote" | RemoteGradientOutputs },
  ): Promise<RemoteGradients>;
  backward(
    X: ArrayInput,
    dLdY: RemoteArray,
    options?: RemoteBackwardOptions & { readonly out?: "remote" | RemoteGradientOutputs },
  ): Promise<RemoteGradients>;
  backward(
    X: ArrayInput,
    dLdY: ArrayInput,
    options: RemoteBackwardOptions & { readonly out: "remote" | RemoteGradientOutputs },
  ): Promise<RemoteGradients>;
  backward(
    X: DlArray,
    dLdY: DlArray,
    options?: RemoteBackwardOptions & { readonly out?: "local" },
  ): Promise<Gradients>;
  backward(
    X: ArrayInput,
    dLdY: ArrayInput,
    options: RemoteBackwardOptions & { readonly out: "local" },
  ): Promise<Gradients>;
  backward(
    X: ArrayInput,
    dLdY: ArrayInput,
    options?: RemoteBackwardOptions,
  ): Promise<Gradients | RemoteGradients>;
  async backward(
    X: ArrayInput,
    dLdY: ArrayInput,
    options?: RemoteBackwardOptions,
  ): Promise<Gradients | RemoteGradients> {
    const where = "transposedConv3dLayer.backward";
    const { rest, out, move } = callOptions(options, where);
    const sync = syncOptions(rest, backwardOut(out, [X, dLdY], where));
    return (await this.#call("backward", { X, dLdY, options: sync }, move)) as
      | Gradients
      | RemoteGradients;
  }

  /**
   * Resolves `numChannels` from `X` and runs the initializers for empty weights or bias (the
   * synchronous `initialize`).
   *
   * @returns this layer.
   */
  async initialize(X: ArrayInput, options?: TransferOption): Promise<this> {
    const move = transferOnly(options, "transposedConv3dLayer.initialize");
    await this.#call("initialize", { X }, move);
    return this;
  }

  /** A copy of the weights, or `null` before initialization (the synchronous `weights`). */
  async getWeights(): Promise<DlArray | null> {
    return (await this.#call("getWeights", {})) as DlArray | null;
  }

  /** A copy of the bias, or `null` before initialization (the synchronous `bias`). */
  async getBias(): Promise<DlArray | null> {
    return (await this.#call("getBias", {})) as DlArray | null;
  }

  /** Replaces the weights (size-checked; fixes `numChannels`); `null` empties them. */
  async setWeights(
    value: DlArray | FloatArray | RemoteArray | null,
    options?: TransferOption,
  ): Promise<void> {
    const move = transferOnly(options, "transposedConv3dLayer.setWeights");
    await this.#call("setWeights", { value }, move);
  }

  /** Replaces the bias (`numFilters` values); `null` empties it. */
  async setBias(
    value: DlArray | FloatArray | RemoteArray | null,
    options?: TransferOption,
  ): Promise<void> {
    const move = transferOnly(options, "transposedConv3dLayer.setBias");
    await this.#call("setBias", { value }, move);
  }

  /**
   * Sets settable properties (the synchronous layer's setters), all or none: a value its setter
   * refuses rejects the call and leaves every property as it was.
   */
  async setProperties(properties: RemoteLayerProperties): Promise<void> {
    await this.#call("setProperties", { properties });
  }

  /** The synchronous `loadWeights`: weights (and bias) from a safetensors file, by name. */
  async loadWeights(
    source: Uint8Array | ArrayBuffer | ReadonlyMap<string, SafetensorsTensor>,
    names: WeightNames,
    options?: TransferOption,
  ): Promise<this> {
    const move = transferOnly(options, "transposedConv3dLayer.loadWeights");
    await this.#call("loadWeights", { source, names }, move);
    return this;
  }

  /** The synchronous `saveWeights`: the weights (and bias) as a safetensors file's bytes. */
  async saveWeights(
    names: WeightNames,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<Uint8Array> {
    return (await this.#call("saveWeights", { names, metadata })) as Uint8Array;
  }

  /** The synchronous layer's `toString()`: a property display in the style of MATLAB's. */
  async describe(): Promise<string> {
    return (await this.#call("toString", {})) as string;
  }
}
