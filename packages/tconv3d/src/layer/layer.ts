/**
 * MATLAB's `transposedConv3dLayer`: properties, initialization, `predict` and `backward`.
 *
 * @module
 */

import { DlArray, type FloatArray, spatialView } from "../dlarray/index.js";
import type { ConvSpec } from "../functional/engine.js";
import {
  backward,
  forward,
  type Gradients,
  type Learnables,
  PlanCache,
} from "../functional/ops.js";
import { glue } from "../functional/wasm-api.js";
import { fans, initialize } from "./initializers.js";
import { type LayerArgs, parseLayerArgs, type Vec3 } from "./options.js";

const WHERE = "transposedConv3dLayer";

/** A transposed 3-D convolution layer; create it with {@link transposedConv3dLayer}. */
export class TransposedConv3dLayer {
  /** Filter lengths `[h, w, d]` along the input's `S` dimensions, in label order. */
  readonly filterSize: Vec3;
  /** Number of filters (output channels). */
  readonly numFilters: number;
  /** Step along each spatial dimension. */
  readonly stride: Vec3;
  /** Dilation along each spatial dimension (an extension; MATLAB's layer has 1). */
  readonly dilationFactor: Vec3;
  /** Number of channel groups (an extension; MATLAB's layer has 1). */
  readonly numGroups: number;
  /** Learning-rate factor of the weights. */
  readonly weightLearnRateFactor: number;
  /** Learning-rate factor of the bias. */
  readonly biasLearnRateFactor: number;
  /** L2 regularization factor of the weights. */
  readonly weightL2Factor: number;
  /** L2 regularization factor of the bias. */
  readonly biasL2Factor: number;
  /** Layer name. */
  readonly name: string;
  /** Number of inputs (1). */
  readonly numInputs = 1;
  /** Input names. */
  readonly inputNames: readonly string[] = Object.freeze(["in"]);
  /** Number of outputs (1). */
  readonly numOutputs = 1;
  /** Output names. */
  readonly outputNames: readonly string[] = Object.freeze(["out"]);

  private readonly args: LayerArgs;
  private channels: number | "auto";
  private w: DlArray | null;
  private b: DlArray | null;
  private version = 0;
  private readonly plans = new PlanCache();

  /** @internal Use {@link transposedConv3dLayer}. */
  constructor(args: LayerArgs) {
    this.args = args;
    this.filterSize = args.filterSize;
    this.numFilters = args.numFilters;
    this.stride = args.stride;
    this.dilationFactor = args.dilationFactor;
    this.numGroups = args.numGroups;
    this.weightLearnRateFactor = args.weightLearnRateFactor;
    this.biasLearnRateFactor = args.biasLearnRateFactor;
    this.weightL2Factor = args.weightL2Factor;
    this.biasL2Factor = args.biasL2Factor;
    this.name = args.name;
    this.channels = args.numChannels;
    this.w = args.weights;
    this.b = args.bias;
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
   * Crops `[[top, left, front], [bottom, right, back]]`. For `"same"` these are resolved by
   * the core (needs a resolved `init()`); a negative end crop means samples appended.
   */
  get croppingSize(): [[number, number, number], [number, number, number]] {
    const c = this.args.cropping;
    if (c.mode === "manual") return [[...c.begin], [...c.end]];
    const conv = new (glue().Conv)(
      1,
      this.numGroups,
      this.numGroups,
      this.numGroups,
      Uint32Array.of(1, 1, 1),
      Uint32Array.from(this.filterSize),
      Uint32Array.from(this.stride),
      Uint32Array.from(this.dilationFactor),
      Int32Array.of(0, 0, 0),
      Int32Array.of(0, 0, 0),
      true,
    );
    try {
      const [b0, b1, b2] = conv.cropBegin() as unknown as [number, number, number];
      const [e0, e1, e2] = conv.cropEnd() as unknown as [number, number, number];
      return [
        [b0, b1, b2],
        [e0, e1, e2],
      ];
    } finally {
      conv.free();
    }
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
      throw new Error(
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
    };
  }

  /**
   * Resolves `numChannels` from `X` and runs the initializers for empty weights or bias
   * (MATLAB's `initialize`). Learnables are single precision unless given otherwise.
   */
  initialize(X: DlArray): this {
    const v = spatialView(X);
    if (this.channels === "auto") {
      if (v.channels % this.numGroups !== 0) {
        throw new RangeError(
          `${WHERE}: the input has ${v.channels} channels; expected a multiple of NumGroups = ${this.numGroups}`,
        );
      }
    } else if (v.channels !== this.channels) {
      throw new RangeError(
        `${WHERE}: the input has ${v.channels} channels (its C dimension); expected NumChannels = ${this.channels}`,
      );
    }
    const c = v.channels;
    const g = this.numGroups;
    const [h, w, d] = this.filterSize;
    const size = g === 1 ? [h, w, d, this.numFilters, c] : [h, w, d, this.numFilters / g, c / g, g];
    const { fanIn, fanOut } = fans(this.filterSize, this.numFilters, c, g);
    const label = `${WHERE}: WeightsInitializer`;
    const newW =
      this.w ??
      new DlArray(
        initialize(this.args.weightsInitializer, size, "single", fanIn, fanOut, undefined, label),
        size,
      );
    const bSize = [1, 1, 1, this.numFilters];
    const newB =
      this.b ??
      new DlArray(
        initialize(
          this.args.biasInitializer,
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
   * labels and label order of `X` and its precision.
   */
  predict(X: DlArray): DlArray {
    const p = this.learnables(X);
    return forward(X, this.spec(), p, this.plans, WHERE);
  }

  /** Gradients of a loss with respect to the input, weights and bias, given `dLdY`. */
  backward(X: DlArray, dLdY: DlArray): Gradients {
    const p = this.learnables(X);
    return backward(X, this.spec(), p, dLdY, this.plans, WHERE);
  }

  /** A property display in the style of MATLAB's. */
  toString(): string {
    const v3 = (v: readonly number[]) => `[${v.join(" ")}]`;
    const c = this.args.cropping;
    const sz = (a: DlArray | null) => (a === null ? "[]" : `[${a.size.join("×")} ${a.dtype}]`);
    return [
      "  TransposedConvolution3DLayer with properties:",
      "",
      `                 Name: '${this.name}'`,
      "",
      "   Hyperparameters",
      `           FilterSize: ${v3(this.filterSize)}`,
      `          NumChannels: ${this.channels === "auto" ? "'auto'" : this.channels}`,
      `           NumFilters: ${this.numFilters}`,
      `               Stride: ${v3(this.stride)}`,
      `       DilationFactor: ${v3(this.dilationFactor)}`,
      `            NumGroups: ${this.numGroups}`,
      `         CroppingMode: '${c.mode}'`,
      `         CroppingSize: ${c.mode === "manual" ? `[${c.begin.join(" ")}; ${c.end.join(" ")}]` : "'same'"}`,
      "",
      "   Learnable Parameters",
      `              Weights: ${sz(this.w)}`,
      `                 Bias: ${sz(this.b)}`,
    ].join("\n");
  }
}

/**
 * Creates a transposed 3-D convolution layer (MATLAB's `transposedConv3dLayer`).
 *
 * @example
 * ```ts
 * const layer = transposedConv3dLayer(11, 32, { stride: [4, 4, 2], name: "up1" });
 * const same = transposedConv3dLayer(11, 32, "Stride", [4, 4, 2], "Cropping", "same");
 * ```
 * @param filterSize - `[h, w, d]`, or one length for all three.
 * @param numFilters - number of filters.
 * @param rest - an options object or MATLAB Name-Value pairs (case-insensitive names).
 * @returns the layer.
 * @throws TypeError / RangeError naming the bad argument.
 */
export function transposedConv3dLayer(
  filterSize: number | readonly number[],
  numFilters: number,
  ...rest: unknown[]
): TransposedConv3dLayer {
  return new TransposedConv3dLayer(parseLayerArgs(filterSize, numFilters, ...rest));
}

export type { Gradients };
