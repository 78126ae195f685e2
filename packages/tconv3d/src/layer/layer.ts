/**
 * MATLAB's `transposedConv3dLayer`: properties, initialization, `predict` and `backward`.
 *
 * @module
 */

import {
  DlArray,
  describeValue,
  type FloatArray,
  type SameDtype,
  spatialView,
} from "../dlarray/index.js";
import { ArgumentError, SizeError } from "../errors.js";
import { callCore } from "../functional/core-errors.js";
import { type ConvSpec, checkChannels, resolvedCrops } from "../functional/engine.js";
import { weightSize } from "../functional/filter.js";
import {
  type BackwardOptions,
  backward,
  forward,
  type Gradients,
  type Learnables,
  OperatorCache,
  type PredictOptions,
  type WasmOutput,
} from "../functional/ops.js";
import type { Vec3 } from "../functional/options.js";
import { outOption } from "../functional/outputs.js";
import { checkLive, type WasmArray } from "../functional/wasm-array.js";
import {
  readLayerWeights,
  type WeightLayout,
  type WeightNames,
  writeLayerWeights,
} from "../io/layer-weights.js";
import type { SafetensorsTensor } from "../io/safetensors.js";
import type { Exact, NameValueArgs } from "../typing.js";
import {
  BIAS_INITIALIZERS,
  type BiasInitializerName,
  fans,
  type InitializerFunction,
  initialize,
  WEIGHTS_INITIALIZERS,
  type WeightsInitializerName,
} from "./initializers.js";
import {
  type LayerArgs,
  parseFactor,
  parseInitializer,
  parseLayerArgs,
  type TransposedConv3dNameValues,
  type TransposedConv3dOptions,
} from "./options.js";

const WHERE = "transposedConv3dLayer";

/** Internal access for the optimizers (not exported by the package). */
export interface LearnablesAccess {
  /** The layer's own weights (not a copy), or `null`. */
  readonly weights: DlArray | null;
  /** The layer's own bias (not a copy), or `null`. */
  readonly bias: DlArray | null;
  /** Marks the learnables as changed (the compute plans re-pack the weights). */
  changed(): void;
}

let accessLearnables: (layer: TransposedConv3dLayer) => LearnablesAccess;

/**
 * The layer's own learnables, for in-place updates by the optimizers; call `changed()` after
 * writing. @internal
 */
export function learnablesOf(layer: TransposedConv3dLayer): LearnablesAccess {
  return accessLearnables(layer);
}

const INPUT_NAMES: readonly string[] = Object.freeze(["in"]);
const OUTPUT_NAMES: readonly string[] = Object.freeze(["out"]);

/**
 * The properties MATLAB fixes when a layer is made: assigning one throws (from plain
 * JavaScript too, where TypeScript's `readonly` does not reach), rather than leaving a layer
 * whose plans no longer match what it reports.
 */
const READ_ONLY = [
  "filterSize",
  "numFilters",
  "stride",
  "dilationFactor",
  "numGroups",
  "outputPadding",
  "numInputs",
  "inputNames",
  "numOutputs",
  "outputNames",
  "numChannels",
  "croppingMode",
  "croppingSize",
] as const;

/** A transposed 3-D convolution layer; create it with {@link transposedConv3dLayer}. */
export class TransposedConv3dLayer {
  /** Filter lengths `[h, w, d]` along the input's `S` dimensions, in label order. */
  get filterSize(): Vec3 {
    return this.args.filterSize;
  }
  /** Number of filters (output channels). */
  get numFilters(): number {
    return this.args.numFilters;
  }
  /** Step along each spatial dimension. */
  get stride(): Vec3 {
    return this.args.stride;
  }
  /** Dilation along each spatial dimension (an extension; MATLAB's layer has 1). */
  get dilationFactor(): Vec3 {
    return this.args.dilationFactor;
  }
  /** Number of channel groups (an extension; MATLAB's layer has 1). */
  get numGroups(): number {
    return this.args.numGroups;
  }
  /**
   * Samples added at the end of each spatial dimension (an extension: PyTorch's
   * `output_padding`); `[0, 0, 0]` unless given.
   */
  get outputPadding(): Vec3 {
    return this.args.outputPadding;
  }
  /** Number of inputs (1). */
  get numInputs(): 1 {
    return 1;
  }
  /** Input names. */
  get inputNames(): readonly string[] {
    return INPUT_NAMES;
  }
  /** Number of outputs (1). */
  get numOutputs(): 1 {
    return 1;
  }
  /** Output names. */
  get outputNames(): readonly string[] {
    return OUTPUT_NAMES;
  }

  private readonly args: LayerArgs;
  private wLearnRate: number;
  private bLearnRate: number;
  private wL2: number;
  private bL2: number;
  private layerName: string;
  private wInit: WeightsInitializerName | InitializerFunction;
  private bInit: BiasInitializerName | InitializerFunction;
  private channels: number | "auto";
  private w: DlArray | null;
  private b: DlArray | null;
  private version = 0;
  private readonly plans = new OperatorCache();

  static {
    accessLearnables = (layer) => ({
      weights: layer.w,
      bias: layer.b,
      changed: () => {
        layer.version++;
      },
    });
  }

  /** @internal Use {@link transposedConv3dLayer}. */
  constructor(args: LayerArgs) {
    this.args = args;
    this.wLearnRate = args.weightLearnRateFactor;
    this.bLearnRate = args.biasLearnRateFactor;
    this.wL2 = args.weightL2Factor;
    this.bL2 = args.biasL2Factor;
    this.layerName = args.name;
    this.wInit = args.weightsInitializer;
    this.bInit = args.biasInitializer;
    this.channels = args.numChannels;
    this.w = args.weights;
    this.b = args.bias;
  }

  /** Learning-rate factor of the weights (nonnegative; 0 freezes them). Default 1. Settable. */
  get weightLearnRateFactor(): number {
    return this.wLearnRate;
  }
  /** Sets WeightLearnRateFactor (a nonnegative finite number). */
  set weightLearnRateFactor(value: number) {
    this.wLearnRate = parseFactor(value, "WeightLearnRateFactor");
  }

  /** Learning-rate factor of the bias (nonnegative; 0 freezes it). Default 1. Settable. */
  get biasLearnRateFactor(): number {
    return this.bLearnRate;
  }
  /** Sets BiasLearnRateFactor (a nonnegative finite number). */
  set biasLearnRateFactor(value: number) {
    this.bLearnRate = parseFactor(value, "BiasLearnRateFactor");
  }

  /** L2 regularization factor of the weights (nonnegative). Default 1. Settable. */
  get weightL2Factor(): number {
    return this.wL2;
  }
  /** Sets WeightL2Factor (a nonnegative finite number). */
  set weightL2Factor(value: number) {
    this.wL2 = parseFactor(value, "WeightL2Factor");
  }

  /** L2 regularization factor of the bias (nonnegative). Default 0. Settable. */
  get biasL2Factor(): number {
    return this.bL2;
  }
  /** Sets BiasL2Factor (a nonnegative finite number). */
  set biasL2Factor(value: number) {
    this.bL2 = parseFactor(value, "BiasL2Factor");
  }

  /** Layer name. Default `""`. Settable (a string). */
  get name(): string {
    return this.layerName;
  }
  /** Sets the name (a string). */
  set name(value: string) {
    if (typeof value !== "string") {
      throw new ArgumentError(`${WHERE}: Name must be a string, got ${describeValue(value)}`);
    }
    this.layerName = value;
  }

  /**
   * How empty weights get initialized: a built-in name (lower case) or a function. Settable
   * (names in any letter case); used only while the weights are empty.
   */
  get weightsInitializer(): WeightsInitializerName | InitializerFunction {
    return this.wInit;
  }
  /** Sets WeightsInitializer (a built-in name in any letter case, or a function). */
  set weightsInitializer(value: WeightsInitializerName | InitializerFunction) {
    this.wInit = parseInitializer(value, "WeightsInitializer", WEIGHTS_INITIALIZERS, WHERE);
  }

  /** How an empty bias gets initialized: a built-in name or a function. Settable. */
  get biasInitializer(): BiasInitializerName | InitializerFunction {
    return this.bInit;
  }
  /** Sets BiasInitializer (a built-in name in any letter case, or a function). */
  set biasInitializer(value: BiasInitializerName | InitializerFunction) {
    this.bInit = parseInitializer(value, "BiasInitializer", BIAS_INITIALIZERS, WHERE);
  }

  /** Number of input channels, or `"auto"` until the first input or weights fix it. */
  get numChannels(): number | "auto" {
    return this.channels;
  }

  /** `"same"` or `"manual"`. */
  get croppingMode(): "same" | "manual" {
    return this.args.cropping.mode;
  }

  /**
   * Crops `[[top, left, front], [bottom, right, back]]`, as the core resolves them (needs a
   * resolved `init()`). For `"same"` never negative, as MATLAB's (a filter shorter than the
   * stride gets the missing samples appended, which is no crop); with
   * {@link TransposedConv3dLayer.outputPadding} (an extension) the padding is subtracted from
   * the end crops, so those may be negative.
   */
  get croppingSize(): [[number, number, number], [number, number, number]] {
    const same = this.args.cropping.mode === "same";
    const [begin, end] = callCore(`${WHERE}.croppingSize`, () =>
      resolvedCrops({
        filterSize: this.filterSize,
        numGroups: this.numGroups,
        stride: this.stride,
        dilationFactor: this.dilationFactor,
        cropping: this.args.cropping,
        outputPadding: this.outputPadding,
      }),
    );
    const [e0, e1, e2] = same ? end.map((e) => Math.max(0, e)) : end;
    return [[...begin], [e0 as number, e1 as number, e2 as number]];
  }

  /**
   * The weights `[h, w, d, numFilters, numChannels]` (with groups: `[h, w, d, F/g, C/g, g]`),
   * or `null` before initialization. A copy: the layer has value semantics, as in MATLAB.
   */
  get weights(): DlArray | null {
    return this.w === null ? null : new DlArray(this.w.data.slice(), this.w.size);
  }

  /** Replaces the weights (size-checked; fixes `numChannels`). `null` empties them. */
  set weights(value: DlArray | FloatArray | null) {
    const parsed = this.reparse({ weights: value });
    this.w = parsed.weights;
    this.channels = parsed.numChannels;
    this.version++;
  }

  /** The bias, size `[1, 1, 1, numFilters]`, or `null` before initialization. A copy. */
  get bias(): DlArray | null {
    return this.b === null ? null : new DlArray(this.b.data.slice(), this.b.size);
  }

  /** Replaces the bias (`numFilters` values). `null` empties it. */
  set bias(value: DlArray | FloatArray | null) {
    this.b = this.reparse({ bias: value }).bias;
    this.version++;
  }

  /** Validates one learnable with the same rules as construction. */
  private reparse(change: {
    weights?: DlArray | FloatArray | null;
    bias?: DlArray | FloatArray | null;
  }): LayerArgs {
    return parseLayerArgs(this.filterSize, this.numFilters, {
      numGroups: this.numGroups,
      numChannels: "weights" in change ? "auto" : this.channels,
      ...change,
    });
  }

  private spec(): ConvSpec {
    if (this.channels === "auto") {
      throw new ArgumentError(
        `${WHERE} "${this.name}": NumChannels is not known yet; call initialize(X) first`,
      );
    }
    return {
      filterSize: this.filterSize,
      numFilters: this.numFilters,
      numChannels: this.channels,
      numGroups: this.numGroups,
      stride: this.stride,
      dilationFactor: this.dilationFactor,
      cropping: this.args.cropping,
      outputPadding: this.outputPadding,
    };
  }

  /**
   * Resolves `numChannels` from `X` and runs the initializers for empty weights or bias
   * (MATLAB's `initialize`). Learnables are single precision unless given otherwise.
   *
   * @throws FormatError when `X` has no spatial and channel dimensions the layer can use;
   *   SizeError when its channel count does not fit `NumChannels` or `NumGroups`; BackendError
   *   `"TCONV3D_DISPOSED"` for a disposed {@link WasmArray}.
   */
  initialize(X: DlArray): this {
    checkLive(X, "X", WHERE);
    const v = spatialView(X, WHERE);
    if (this.channels === "auto") {
      if (v.channels % this.numGroups !== 0) {
        throw new SizeError(
          `${WHERE}: the input has ${v.channels} channels; expected a multiple of NumGroups = ${this.numGroups}`,
        );
      }
    } else {
      checkChannels(this.spec(), v, WHERE);
    }
    const c = v.channels;
    const g = this.numGroups;
    const size = weightSize(this.filterSize, this.numFilters, c, g);
    const { fanIn, fanOut } = fans(this.filterSize, this.numFilters, c, g);
    const label = `${WHERE}: WeightsInitializer`;
    const newW =
      this.w ??
      new DlArray(initialize(this.wInit, size, "single", fanIn, fanOut, undefined, label), size);
    const bSize = [1, 1, 1, this.numFilters];
    const newB =
      this.b ??
      new DlArray(
        initialize(
          this.bInit,
          bSize,
          "single",
          fanIn,
          fanOut,
          undefined,
          `${WHERE}: BiasInitializer`,
        ),
        bSize,
      );
    if (newW !== this.w || newB !== this.b) this.version++;
    this.channels = c;
    this.w = newW;
    this.b = newB;
    return this;
  }

  private learnables(X: DlArray): Learnables {
    if (this.w === null || this.b === null) this.initialize(X);
    const w = this.w as DlArray;
    return {
      weights: w.data,
      weightSize: w.size,
      bias: (this.b as DlArray).data,
      version: this.version,
    };
  }

  /**
   * The forward pass. Initializes lazily when the learnables are empty. The output keeps the
   * labels and label order of `X` and its precision (a `DlArray<Float32Array>` gives a
   * `DlArray<Float32Array>` whatever the precision of the weights, which are converted).
   *
   * @param options - `out`: an array to write the output into instead of a new one (same
   *   size, format and dtype as a new one would have; it may be `X` itself or an earlier
   *   output, but must not share memory with the weights or bias). Reusing one skips the
   *   first-touch cost of a new array's memory, which on large outputs is a large part of a
   *   call. `out` is then returned. `out: "wasm"` returns a new {@link WasmArray} (in WASM
   *   memory: nothing is copied out). A `WasmArray` `X` or `out` is read or written in place.
   * @throws Tconv3dError before any work: FormatError for an input without the dimensions the
   *   layer needs, SizeError for a wrong channel count or crops that leave no output,
   *   ArgumentError / FormatError / SizeError for a bad `out`, MemoryError when WASM memory
   *   cannot hold the call.
   */
  predict<T extends FloatArray>(X: DlArray<T>, options: WasmOutput): WasmArray<SameDtype<T>>;
  predict<T extends FloatArray>(X: DlArray<T>, options?: PredictOptions<T>): DlArray<SameDtype<T>>;
  predict(X: DlArray, options?: PredictOptions): DlArray {
    const out = outOption(options, WHERE);
    checkLive(X, "X", WHERE); // before the lazy initialization reads X
    const p = this.learnables(X);
    return forward(X, this.spec(), p, this.plans, WHERE, out);
  }

  /**
   * Gradients of a loss with respect to the input, weights and bias, given `dLdY`.
   *
   * @param options - `out`: `{ dLdX?, dLdW?, dLdB? }`, arrays to write those gradients into
   *   instead of new ones (each of the size, format and dtype a new one would have; they may
   *   be `X` or `dLdY`, but must not share memory with the weights, the bias or each other).
   *   The gradients returned are then those arrays. `out: "wasm"` returns every gradient as a
   *   new {@link WasmArray}. `WasmArray` inputs and outputs are read or written in place.
   * @returns the gradients, each in the precision of `X` (a `dLdY` of the other is converted).
   * @throws Tconv3dError before any work, as {@link TransposedConv3dLayer.predict} does, and for
   *   a `dLdY` of another size or format than the output's.
   */
  backward<T extends FloatArray>(
    X: DlArray<T>,
    dLdY: DlArray,
    options: WasmOutput,
  ): Gradients<SameDtype<T>, WasmArray<SameDtype<T>>>;
  backward<T extends FloatArray>(
    X: DlArray<T>,
    dLdY: DlArray,
    options?: BackwardOptions<T>,
  ): Gradients<SameDtype<T>>;
  backward(X: DlArray, dLdY: DlArray, options?: BackwardOptions): Gradients {
    const out = outOption(options, WHERE);
    checkLive(X, "X", WHERE); // before the lazy initialization reads X
    const p = this.learnables(X);
    return backward(X, this.spec(), p, dLdY, this.plans, WHERE, out);
  }

  /**
   * Sets the weights (and the bias, when named) from a safetensors file, by tensor name.
   *
   * The weight tensor must have the layer's weight size reversed - the row-major view of the
   * same bytes: `[NumChannels, NumFilters/NumGroups, k3, k2, k1]` for `FilterSize` `[k1, k2,
   * k3]`. For a layer used with {@link fromNCDHW} inputs (spatial order `[W, H, D]`) this is
   * exactly PyTorch's `ConvTranspose3d.weight` `[Cin, Cout/groups, kD, kH, kW]`; see
   * {@link fromConvTranspose3d}. The bias must be `[NumFilters]`. `F32` and `F64` tensors keep
   * their precision, `F16`/`BF16` become single. `NumChannels` `"auto"` is resolved from the
   * tensor. Either both learnables are set or, on any error, neither.
   *
   * ```ts
   * layer.loadWeights(bytes, { weight: "decoder.up1.weight", bias: "decoder.up1.bias" });
   * ```
   *
   * @param source - the file's bytes, or the tensors {@link loadSafetensors} returned.
   * @param names - the tensor names.
   * @returns this layer.
   * @throws FileFormatError for a malformed file; ArgumentError naming the tensor for a
   *   missing name or a non-float dtype, SizeError for a wrong shape.
   */
  loadWeights(
    source: Uint8Array | ArrayBuffer | ReadonlyMap<string, SafetensorsTensor>,
    names: WeightNames,
  ): this {
    const read = readLayerWeights(source, names, this.layout(), `${WHERE}.loadWeights`);
    const parsedW = this.reparse({ weights: read.weights });
    const newB = read.bias === undefined ? this.b : this.reparse({ bias: read.bias }).bias;
    this.w = parsedW.weights;
    this.channels = parsedW.numChannels;
    this.b = newB;
    this.version++;
    return this;
  }

  /**
   * Writes the weights (and the bias, when named) as a safetensors file, in the layout
   * {@link TransposedConv3dLayer.loadWeights} reads: weights `[NumChannels,
   * NumFilters/NumGroups, k3, k2, k1]` (PyTorch's `ConvTranspose3d` layout for a layer used with
   * `fromNCDHW` inputs), bias `[NumFilters]`, each in its own precision (`F32` for single).
   *
   * @param names - the tensor names.
   * @param metadata - optional `__metadata__` (string values).
   * @returns the file's bytes.
   * @throws ArgumentError when the layer has no weights (or no bias, when named) yet, or the
   *   names are malformed or equal.
   */
  saveWeights(names: WeightNames, metadata?: Readonly<Record<string, string>>): Uint8Array {
    const learnables = { weights: this.w, bias: this.b };
    return writeLayerWeights(names, this.layout(), learnables, metadata, `${WHERE}.saveWeights`);
  }

  /** What the safetensors mapping needs to know of the layer. */
  private layout(): WeightLayout {
    return {
      filterSize: this.filterSize,
      numFilters: this.numFilters,
      numGroups: this.numGroups,
      numChannels: this.channels,
    };
  }

  /** Node's `util.inspect` (and `console.log`) shows {@link TransposedConv3dLayer.toString}. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /**
   * The property display MATLAB prints for the layer: its rows, `CroppingSize` as
   * `[2x3 double]`, the closing hint. The extensions (DilationFactor, NumGroups, OutputPadding)
   * show only where they differ from MATLAB's fixed values, so a layer MATLAB can make prints
   * as MATLAB prints it.
   */
  toString(): string {
    const v3 = (v: readonly number[]) => `[${v.join(" ")}]`;
    const size = (a: DlArray | null) => (a === null ? "[]" : `[${a.size.join("x")} ${a.dtype}]`);
    const row = (name: string, value: string) => `${name.padStart(21)}: ${value}`;
    const extension = (name: string, v: readonly number[] | number, fixed: number) =>
      (typeof v === "number" ? v !== fixed : v.some((x) => x !== fixed))
        ? [row(name, typeof v === "number" ? String(v) : v3(v))]
        : [];
    return [
      "  TransposedConvolution3DLayer with properties:",
      "",
      row("Name", `'${this.name}'`),
      "",
      "   Hyperparameters",
      row("FilterSize", v3(this.filterSize)),
      row("NumChannels", this.channels === "auto" ? "'auto'" : String(this.channels)),
      row("NumFilters", String(this.numFilters)),
      row("Stride", v3(this.stride)),
      ...extension("DilationFactor", this.dilationFactor, 1),
      ...extension("NumGroups", this.numGroups, 1),
      row("CroppingMode", `'${this.args.cropping.mode}'`),
      row("CroppingSize", "[2x3 double]"),
      ...extension("OutputPadding", this.outputPadding, 0),
      "",
      "   Learnable Parameters",
      row("Weights", size(this.w)),
      row("Bias", size(this.b)),
      "",
      "  Use properties method to see a list of all properties.",
    ].join("\n");
  }
}

for (const key of READ_ONLY) {
  const property = Object.getOwnPropertyDescriptor(TransposedConv3dLayer.prototype, key);
  Object.defineProperty(TransposedConv3dLayer.prototype, key, {
    ...property,
    set(value: unknown) {
      throw new ArgumentError(
        `${WHERE}: ${key} is read-only, as in MATLAB (assigned ${describeValue(value)}); ` +
          "make a new layer with transposedConv3dLayer(...) to change it",
      );
    },
  });
}

/**
 * Creates a transposed 3-D convolution layer (MATLAB's `transposedConv3dLayer`), its options
 * given as one object with camelCase keys.
 *
 * @example
 * ```ts
 * const layer = transposedConv3dLayer(11, 32, { stride: [4, 4, 2], name: "up1" });
 * ```
 * @param filterSize - `[h, w, d]`, or one length for all three.
 * @param numFilters - number of filters.
 * @param options - the options; a key it does not declare fails to compile (see {@link Exact}).
 * @returns the layer.
 * @throws ArgumentError naming the bad argument or option; SizeError for `weights` or `bias` of
 *   the wrong size.
 */
export function transposedConv3dLayer<const O extends TransposedConv3dOptions>(
  filterSize: number | readonly number[],
  numFilters: number,
  options?: Exact<O, TransposedConv3dOptions>,
): TransposedConv3dLayer;
/**
 * Creates a transposed 3-D convolution layer (MATLAB's `transposedConv3dLayer`), its options
 * given as MATLAB's Name-Value pairs.
 *
 * @example
 * ```ts
 * const same = transposedConv3dLayer(11, 32, "Stride", [4, 4, 2], "Cropping", "same");
 * ```
 * @param filterSize - `[h, w, d]`, or one length for all three.
 * @param numFilters - number of filters.
 * @param nameValues - pairs of a name (PascalCase as in MATLAB, or camelCase; any letter case
 *   at run time) and its value, typed by {@link TransposedConv3dNameValues}: a misspelt name, a
 *   value of the wrong type or a name without a value fails to compile.
 * @returns the layer.
 * @throws ArgumentError naming the bad argument or option; SizeError for `Weights` or `Bias` of
 *   the wrong size.
 */
export function transposedConv3dLayer<const A extends readonly unknown[]>(
  filterSize: number | readonly number[],
  numFilters: number,
  ...nameValues: NameValueArgs<TransposedConv3dNameValues, A>
): TransposedConv3dLayer;
export function transposedConv3dLayer(
  filterSize: number | readonly number[],
  numFilters: number,
  ...rest: unknown[]
): TransposedConv3dLayer {
  return new TransposedConv3dLayer(parseLayerArgs(filterSize, numFilters, ...rest));
}

export type { Gradients };
