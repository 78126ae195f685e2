/**
 * Building a layer from PyTorch `ConvTranspose3d` or ONNX `ConvTranspose` parameters.
 *
 * A PyTorch/ONNX weight `[Cin, Cout/groups, kD, kH, kW]` (row-major) is the same memory as the
 * column-major `[kW, kH, kD, Cout/groups, Cin]` this package uses, and an input `[N, C, D, H, W]`
 * wrapped with `fromNCDHW` is a `"SSSCB"` array `[W, H, D, C, N]`. So the layer made here has its
 * spatial vectors in the order `[W, H, D]`: every `(D, H, W)` tuple is reversed, and the weights
 * are used as they are (copied once into the layer, as any layer's weights are). Feed it
 * `fromNCDHW(x, [N, C, D, H, W])` (or `fromNDHWC`) and read the result with `Y.toNCDHW()`.
 *
 * @module
 */

import { DlArray, describeValue, type FloatArray, isFloatArray } from "../dlarray/index.js";
import { ArgumentError, SizeError } from "../errors.js";
import { outputPaddingOverflow, weightSize } from "../functional/filter.js";
import { type TransposedConv3dLayer, transposedConv3dLayer } from "../layer/layer.js";
import type { TransposedConv3dOptions } from "../layer/options.js";

/** Three values in PyTorch's `(D, H, W)` order. */
export type Tuple3 = readonly [number, number, number];

/**
 * Parameters of {@link fromConvTranspose3d}, in PyTorch's or ONNX's spelling (give one of each
 * pair). Tuples are in PyTorch's `(D, H, W)` order; a number means the same for all three axes.
 */
export interface ConvTranspose3dParams {
  /** The weights, row-major `[Cin, Cout/groups, kD, kH, kW]` (`ConvTranspose3d.weight`). */
  weight: Float32Array | Float64Array;
  /** `[Cin, Cout/groups, kD, kH, kW]`. */
  weightShape: readonly number[];
  /**
   * `Cout` values, or omitted/`null` for none (PyTorch `bias=False`): the layer then gets a zero
   * bias with `biasLearnRateFactor` 0 (unless `layerOptions` sets it), so training keeps it zero.
   */
  bias?: Float32Array | Float64Array | null;
  /** PyTorch `stride` / ONNX `strides`. Default 1. */
  stride?: number | Tuple3;
  /** ONNX spelling of `stride`. */
  strides?: Tuple3;
  /** PyTorch `padding`: crops at both ends of each axis. Default 0. */
  padding?: number | Tuple3;
  /** ONNX `pads`: `[beginD, beginH, beginW, endD, endH, endW]`. */
  pads?: readonly number[];
  /** PyTorch `output_padding`: samples added at the end of each axis. Default 0. */
  outputPadding?: number | Tuple3;
  /** PyTorch/ONNX spelling of `outputPadding`. */
  output_padding?: number | Tuple3;
  /** PyTorch `dilation` / ONNX `dilations`. Default 1. */
  dilation?: number | Tuple3;
  /** ONNX spelling of `dilation`. */
  dilations?: Tuple3;
  /** PyTorch `groups` / ONNX `group`. Default 1. */
  groups?: number;
  /** ONNX spelling of `groups`. */
  group?: number;
  /**
   * ONNX `auto_pad`: `"NOTSET"` (default: use `pads`), `"VALID"` (no padding), `"SAME_UPPER"` /
   * `"SAME_LOWER"` (output `n*stride`; an odd total crop puts the extra one at the end / at the
   * start, as the ONNX spec and ONNX Runtime 1.30 do; see {@link fromConvTranspose3d} for a
   * filter shorter than the stride).
   */
  autoPad?: "NOTSET" | "VALID" | "SAME_UPPER" | "SAME_LOWER";
  /** ONNX spelling of `autoPad`. */
  auto_pad?: "NOTSET" | "VALID" | "SAME_UPPER" | "SAME_LOWER";
  /** ONNX `kernel_shape` `[kD, kH, kW]`: checked against `weightShape` when given. */
  kernel_shape?: Tuple3;
  /** PyTorch `padding_mode`: only `"zeros"` exists for `ConvTranspose3d`. */
  padding_mode?: "zeros";
  /** Other layer options: `name`, the learn-rate and L2 factors, `numChannels` checks. */
  layerOptions?: Pick<
    TransposedConv3dOptions,
    "name" | "weightLearnRateFactor" | "biasLearnRateFactor" | "weightL2Factor" | "biasL2Factor"
  >;
}

const WHERE = "fromConvTranspose3d";

const KEYS = new Set([
  "weight",
  "weightShape",
  "bias",
  "stride",
  "strides",
  "padding",
  "pads",
  "outputPadding",
  "output_padding",
  "dilation",
  "dilations",
  "groups",
  "group",
  "autoPad",
  "auto_pad",
  "kernel_shape",
  "padding_mode",
  "layerOptions",
]);

function one<T>(p: Record<string, unknown>, a: string, b: string): T | undefined {
  if (p[a] !== undefined && p[b] !== undefined) {
    throw new ArgumentError(`${WHERE}: give ${a} or ${b}, not both`);
  }
  return (p[a] ?? p[b]) as T | undefined;
}

/** A PyTorch `int or (D, H, W)` value as `[D, H, W]`. */
function tuple(value: unknown, name: string, min: number, dflt: number): [number, number, number] {
  if (value === undefined) return [dflt, dflt, dflt];
  const expected = `${name} must be ${min === 0 ? "a nonnegative" : "a positive"} integer or 3 of them in (D, H, W) order`;
  let v: unknown[];
  if (typeof value === "number") v = [value, value, value];
  else if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    v = Array.from(value as ArrayLike<unknown>);
    if (v.length === 1) v = [v[0], v[0], v[0]];
  } else throw new ArgumentError(`${WHERE}: ${expected}, got ${describeValue(value)}`);
  if (v.length !== 3 || v.some((x) => !Number.isSafeInteger(x) || (x as number) < min)) {
    throw new ArgumentError(`${WHERE}: ${expected}, got ${describeValue(value)}`);
  }
  return v as [number, number, number];
}

const rev = (v: readonly number[]): [number, number, number] => [
  v[2] as number,
  v[1] as number,
  v[0] as number,
];

/**
 * Builds a {@link TransposedConv3dLayer} equal to a PyTorch `ConvTranspose3d` (or an ONNX
 * `ConvTranspose`) with the given weights, for inputs wrapped with `fromNCDHW` (spatial order
 * `[W, H, D]`; see the module notes).
 *
 * Mapping: `filterSize = [kW, kH, kD]`, `numFilters = Cout`, `numGroups = groups`, `stride`,
 * `dilationFactor` reversed; PyTorch `padding` p → cropping `p` at both ends; ONNX `pads` →
 * cropping `[[bW, bH, bD], [eW, eH, eD]]`; `output_padding` → the layer's `outputPadding`
 * (subtracted from the end crop; each must be less than the stride or the dilation of its axis,
 * as PyTorch requires). ONNX `auto_pad` `SAME_UPPER` / `SAME_LOWER`: total crop
 * `outputPadding + dilation*(k-1) + 1 - stride` per axis split `floor/ceil` (`SAME_UPPER`: the
 * larger half at the end) so the output is `n*stride`; a negative total (filter shorter than the
 * stride) is clamped to 0 as ONNX Runtime does (the spec's formula would need negative pads), so
 * the output is then `stride*(n-1) + dilation*(k-1) + 1 + outputPadding`. ONNX `output_shape` is not supported (it depends on the
 * input size): compute `pads` from it instead.
 *
 * ```ts
 * // PyTorch: up = nn.ConvTranspose3d(64, 32, 4, stride=2, padding=1, output_padding=0)
 * const layer = fromConvTranspose3d({
 *   weight, weightShape: [64, 32, 4, 4, 4], bias, stride: 2, padding: 1,
 * });
 * const y = layer.predict(fromNCDHW(x, [1, 64, 8, 8, 8])).toNCDHW(); // [1, 32, 16, 16, 16]
 * ```
 *
 * @param params - the module's parameters (see {@link ConvTranspose3dParams}).
 * @returns the layer, weights and bias set (copied).
 * @throws ArgumentError naming the parameter, the value and what was expected; SizeError when
 *   `weight`, `kernel_shape` or `bias` disagree with `weightShape`.
 */
export function fromConvTranspose3d(params: ConvTranspose3dParams): TransposedConv3dLayer {
  if (params === null || typeof params !== "object" || Array.isArray(params)) {
    throw new ArgumentError(`${WHERE}: params must be an object, got ${describeValue(params)}`);
  }
  const p = params as unknown as Record<string, unknown>;
  for (const k of Object.keys(p)) {
    if (!KEYS.has(k)) {
      throw new ArgumentError(
        `${WHERE}: unknown parameter ${describeValue(k)}; expected one of ${[...KEYS].join(", ")}` +
          (k === "output_shape" || k === "outputShape"
            ? " (ONNX output_shape depends on the input size: give pads instead)"
            : ""),
      );
    }
  }
  const weight = p.weight;
  if (!isFloatArray(weight)) {
    throw new ArgumentError(
      `${WHERE}: weight must be a Float32Array or Float64Array (row-major [Cin, Cout/groups, kD, kH, kW]), got ${describeValue(weight)}`,
    );
  }
  const ws = p.weightShape;
  if (
    !Array.isArray(ws) ||
    ws.length !== 5 ||
    ws.some((s) => !Number.isSafeInteger(s) || (s as number) < 1)
  ) {
    throw new ArgumentError(
      `${WHERE}: weightShape must be 5 positive integers [Cin, Cout/groups, kD, kH, kW], got ${describeValue(ws)}`,
    );
  }
  const [cin, fg, kD, kH, kW] = ws as [number, number, number, number, number];
  if (weight.length !== cin * fg * kD * kH * kW) {
    throw new SizeError(
      `${WHERE}: weight has ${weight.length} values; weightShape [${ws}] needs ${cin * fg * kD * kH * kW}`,
    );
  }
  const groups = one<number>(p, "groups", "group") ?? 1;
  if (typeof groups !== "number" || !Number.isSafeInteger(groups) || groups < 1) {
    throw new ArgumentError(
      `${WHERE}: groups must be a positive integer, got ${describeValue(groups)}`,
    );
  }
  if (cin % groups !== 0) {
    throw new ArgumentError(
      `${WHERE}: weightShape[0] (Cin) = ${cin} must be a multiple of groups = ${groups}`,
    );
  }
  if (p.kernel_shape !== undefined) {
    const ks = tuple(p.kernel_shape, "kernel_shape", 1, 1);
    if (ks[0] !== kD || ks[1] !== kH || ks[2] !== kW) {
      throw new SizeError(
        `${WHERE}: kernel_shape [${ks}] does not match weightShape [${ws}] (expected [${kD}, ${kH}, ${kW}])`,
      );
    }
  }
  if (p.padding_mode !== undefined && p.padding_mode !== "zeros") {
    throw new ArgumentError(
      `${WHERE}: padding_mode must be "zeros" (the only mode of ConvTranspose3d), got ${describeValue(p.padding_mode)}`,
    );
  }
  const stride = tuple(one(p, "stride", "strides"), "stride", 1, 1);
  const dilation = tuple(one(p, "dilation", "dilations"), "dilation", 1, 1);
  const outputPadding = tuple(one(p, "outputPadding", "output_padding"), "output_padding", 0, 0);
  const autoPad = one<string>(p, "autoPad", "auto_pad") ?? "NOTSET";
  const modes = ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"];
  if (typeof autoPad !== "string" || !modes.includes(autoPad)) {
    throw new ArgumentError(
      `${WHERE}: auto_pad must be one of ${modes.map((m) => `"${m}"`).join(", ")}, got ${describeValue(autoPad)}`,
    );
  }
  if (p.padding !== undefined && p.pads !== undefined) {
    throw new ArgumentError(`${WHERE}: give padding (PyTorch) or pads (ONNX), not both`);
  }
  if (autoPad !== "NOTSET" && (p.padding !== undefined || p.pads !== undefined)) {
    throw new ArgumentError(
      `${WHERE}: auto_pad "${autoPad}" computes the padding; do not also give padding or pads`,
    );
  }

  // Crops in (D, H, W) order at the begin and end of each axis; output padding in the end crop.
  let begin: [number, number, number];
  let end: [number, number, number];
  const op = outputPadding;
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const k = [kD, kH, kW];
    const total = [0, 1, 2].map(
      (a) =>
        (outputPadding[a] as number) +
        (dilation[a] as number) * ((k[a] as number) - 1) +
        1 -
        (stride[a] as number),
    );
    begin = [0, 0, 0];
    end = [0, 0, 0];
    for (let a = 0; a < 3; a++) {
      // A negative total (filter shorter than the stride) would need negative pads: ONNX
      // Runtime clamps it to 0 (the output is then shorter than n*stride); so do we.
      const t = Math.max(total[a] as number, 0);
      const small = Math.floor(t / 2);
      begin[a] = autoPad === "SAME_UPPER" ? small : t - small;
      end[a] = t - (begin[a] as number);
    }
  } else if (p.pads !== undefined) {
    const pads = p.pads;
    if (
      !(Array.isArray(pads) || ArrayBuffer.isView(pads)) ||
      (pads as ArrayLike<unknown>).length !== 6 ||
      Array.from(pads as ArrayLike<unknown>).some(
        (x) => !Number.isSafeInteger(x) || (x as number) < 0,
      )
    ) {
      throw new ArgumentError(
        `${WHERE}: pads must be 6 nonnegative integers [beginD, beginH, beginW, endD, endH, endW], got ${describeValue(pads)}`,
      );
    }
    const v = Array.from(pads as ArrayLike<number>);
    begin = [v[0], v[1], v[2]] as [number, number, number];
    end = [v[3], v[4], v[5]] as [number, number, number];
  } else if (autoPad === "VALID") {
    begin = [0, 0, 0];
    end = [0, 0, 0];
  } else {
    const pad = tuple(p.padding, "padding", 0, 0);
    begin = pad;
    end = [...pad];
  }

  // Checked here, though the layer checks it too, to name PyTorch's axes (D, H, W) and option.
  const a = outputPaddingOverflow(outputPadding, stride, dilation);
  if (a >= 0) {
    throw new ArgumentError(
      `${WHERE}: output_padding ${describeValue(one(p, "outputPadding", "output_padding"))} along ` +
        `${"DHW"[a]} is ${outputPadding[a]}; expected less than stride (${stride[a]}) or dilation (${dilation[a]})`,
    );
  }

  const layerOptions = p.layerOptions ?? {};
  if (layerOptions === null || typeof layerOptions !== "object" || Array.isArray(layerOptions)) {
    throw new ArgumentError(
      `${WHERE}: layerOptions must be an object, got ${describeValue(layerOptions)}`,
    );
  }
  const allowed = [
    "name",
    "weightLearnRateFactor",
    "biasLearnRateFactor",
    "weightL2Factor",
    "biasL2Factor",
  ];
  for (const k of Object.keys(layerOptions)) {
    if (!allowed.includes(k)) {
      throw new ArgumentError(
        `${WHERE}: layerOptions may hold ${allowed.join(", ")}; got ${describeValue(k)}`,
      );
    }
  }
  const bias = p.bias;
  const cout = fg * groups;
  let b: FloatArray | null = null;
  if (bias !== undefined && bias !== null) {
    if (!isFloatArray(bias)) {
      throw new ArgumentError(
        `${WHERE}: bias must be a Float32Array or Float64Array of Cout = ${cout} values (or null), got ${describeValue(bias)}`,
      );
    }
    if (bias.length !== cout) {
      throw new SizeError(
        `${WHERE}: bias has ${bias.length} values; expected Cout = weightShape[1] * groups = ${cout}`,
      );
    }
    b = bias;
  }
  const size = weightSize([kW, kH, kD], cout, cin, groups);
  return transposedConv3dLayer([kW, kH, kD], cout, {
    ...(layerOptions as object),
    stride: rev(stride),
    dilationFactor: rev(dilation),
    numGroups: groups,
    cropping: [rev(begin), rev(end)],
    outputPadding: rev(op),
    weights: new DlArray(weight, size),
    bias: b ?? new (weight instanceof Float64Array ? Float64Array : Float32Array)(cout),
    // No bias in the module (PyTorch bias=False): a zero bias that training leaves at zero.
    ...(b === null && !("biasLearnRateFactor" in layerOptions) ? { biasLearnRateFactor: 0 } : {}),
  });
}
