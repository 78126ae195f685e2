/**
 * A PyTorch decoder (`nn.Sequential` of `ConvTranspose3d`, `BatchNorm3d` and activations) as a
 * {@link Dlnetwork}, from its `state_dict` in a safetensors file. A `BatchNorm3d` after a
 * `ConvTranspose3d` is folded into the convolution with its running statistics (inference
 * mode, as `model.eval()` computes):
 *
 *     s = gamma / sqrt(running_var + eps)
 *     W'[ci, j, ...] = W[ci, j, ...] * s[o]     b' = (b - running_mean) * s + beta
 *
 * where `o` is the output channel of weight slice `(ci, j)`: `(ci div (Cin/groups)) *
 * (Cout/groups) + j`. The arithmetic is done in double precision and stored in the weight's.
 *
 * @module
 */

import { describeValue, type FloatArray } from "../dlarray/index.js";
import { ArgumentError, SizeError } from "../errors.js";
import { parseSafetensors, type SafetensorsTensor } from "../io/safetensors.js";
import type { TransposedConv3dLayer } from "../layer/layer.js";
import { leakyReluLayer, reluLayer, sigmoidLayer, tanhLayer } from "../network/activations.js";
import { type Dlnetwork, dlnetwork, type NetworkLayer } from "../network/network.js";
import { type ConvTranspose3dParams, fromConvTranspose3d } from "./pytorch.js";

/**
 * A `ConvTranspose3d` module: its state_dict prefix and its constructor arguments (those of
 * {@link fromConvTranspose3d} other than the tensors and `layerOptions`).
 */
export interface PyTorchConvTranspose3d
  extends Omit<ConvTranspose3dParams, "weight" | "weightShape" | "bias" | "layerOptions"> {
  /** The module type. */
  type: "ConvTranspose3d";
  /** Its state_dict prefix: tensors `<name>.weight` and (unless `bias=False`) `<name>.bias`. */
  name: string;
}

/** A `BatchNorm3d` module, folded into the `ConvTranspose3d` before it. */
export interface PyTorchBatchNorm3d {
  /** The module type. */
  type: "BatchNorm3d";
  /** Its state_dict prefix: tensors `<name>.running_mean`, `.running_var`, `.weight`, `.bias`. */
  name: string;
  /** PyTorch's `eps`. Default 1e-5. */
  eps?: number;
}

/** An activation module without parameters. */
export interface PyTorchActivation {
  /** The module type. */
  type: "ReLU" | "Tanh" | "Sigmoid";
  /** The layer's name (default: numbered by kind, as {@link dlnetwork} names layers). */
  name?: string;
}

/** A `LeakyReLU` module. */
export interface PyTorchLeakyReLU {
  /** The module type. */
  type: "LeakyReLU";
  /** The layer's name (default: numbered by kind). */
  name?: string;
  /** PyTorch's `negative_slope`. Default 0.01. */
  negative_slope?: number;
}

/** One module of the `nn.Sequential`, in order. */
export type PyTorchModule =
  | PyTorchConvTranspose3d
  | PyTorchBatchNorm3d
  | PyTorchActivation
  | PyTorchLeakyReLU;

const WHERE = "fromPyTorchSequential";

/**
 * Builds a {@link Dlnetwork} equal (in inference mode) to a PyTorch `nn.Sequential` decoder from
 * its `state_dict` in a safetensors file. The modules are listed as the `nn.Sequential` holds
 * them, each with its state_dict prefix; a `BatchNorm3d` must follow a `ConvTranspose3d` and is
 * folded into it (see the module notes). The convolutions are named by their prefix, so
 * {@link Dlnetwork.saveLearnables} writes `<prefix>.weight` / `<prefix>.bias` again.
 *
 * ```py
 * decoder = nn.Sequential(nn.ConvTranspose3d(64, 32, 4, 2, 1), nn.BatchNorm3d(32), nn.ReLU(),
 *                         nn.ConvTranspose3d(32, 1, 4, 2, 1), nn.Sigmoid())
 * save_file(decoder.state_dict(), "decoder.safetensors")
 * ```
 * ```ts
 * const net = fromPyTorchSequential(bytes, [
 *   { type: "ConvTranspose3d", name: "0", stride: 2, padding: 1 },
 *   { type: "BatchNorm3d", name: "1" },
 *   { type: "ReLU" },
 *   { type: "ConvTranspose3d", name: "3", stride: 2, padding: 1 },
 *   { type: "Sigmoid" },
 * ]);
 * const y = net.predict(fromNCDHW(x, [1, 64, 8, 8, 8])).toNCDHW(); // [1, 1, 32, 32, 32]
 * ```
 *
 * @param source - the safetensors bytes, or the tensors {@link loadSafetensors} returned.
 * @param modules - the modules in order.
 * @returns the network, its learnables set.
 * @throws ArgumentError for an unknown module type, a `BatchNorm3d` not after a
 *   `ConvTranspose3d`, a missing tensor or a bad parameter (naming the module); SizeError for a
 *   tensor of the wrong shape; FileFormatError for a malformed file.
 */
export function fromPyTorchSequential(
  source: Uint8Array | ArrayBuffer | ReadonlyMap<string, SafetensorsTensor>,
  modules: readonly PyTorchModule[],
): Dlnetwork {
  const tensors =
    source instanceof Map
      ? (source as ReadonlyMap<string, SafetensorsTensor>)
      : parseSafetensors(source as Uint8Array | ArrayBuffer).tensors;
  if (!Array.isArray(modules) || modules.length === 0) {
    throw new ArgumentError(
      `${WHERE}: modules must be a nonempty array of { type, name, ... }, got ${describeValue(modules)}`,
    );
  }
  const layers: NetworkLayer[] = [];
  // The convolution a following BatchNorm3d folds into (its tensors, before the layer is made).
  let pending: PendingConv | null = null;
  const flush = () => {
    if (pending === null) return;
    const { module, weight, bias } = pending;
    const layer: TransposedConv3dLayer = fromConvTranspose3d({
      ...stripName(module),
      weight: weight.data,
      weightShape: weight.shape,
      bias: bias?.data ?? null,
      layerOptions: { name: module.name },
    });
    layers.push(layer);
    pending = null;
  };
  for (const [i, m] of modules.entries()) {
    const what = `modules[${i}]`;
    if (m === null || typeof m !== "object") {
      throw new ArgumentError(`${WHERE}: ${what} must be { type, ... }, got ${describeValue(m)}`);
    }
    const type = (m as { type?: unknown }).type;
    if (type === "BatchNorm3d") {
      const bn = m as PyTorchBatchNorm3d;
      if (pending === null) {
        throw new ArgumentError(
          `${WHERE}: ${what} is a BatchNorm3d ("${bn.name}") that does not follow a ConvTranspose3d; only a BatchNorm3d right after one can be folded`,
        );
      }
      const conv: PendingConv = pending;
      pending = { ...conv, ...fold(conv, bn, tensors, what) };
      continue;
    }
    flush();
    if (type === "ConvTranspose3d") {
      const c = m as PyTorchConvTranspose3d;
      const name = checkPrefix(c.name, what);
      pending = {
        module: c,
        weight: tensor(tensors, `${name}.weight`, what),
        bias: optionalTensor(tensors, `${name}.bias`, what),
      };
      continue;
    }
    const options = (m as { name?: string }).name === undefined ? {} : { name: m.name as string };
    switch (type) {
      case "ReLU":
        layers.push(reluLayer(options));
        break;
      case "Tanh":
        layers.push(tanhLayer(options));
        break;
      case "Sigmoid":
        layers.push(sigmoidLayer(options));
        break;
      case "LeakyReLU":
        layers.push(leakyReluLayer((m as { negative_slope?: number }).negative_slope, options));
        break;
      default:
        throw new ArgumentError(
          `${WHERE}: ${what} has type ${describeValue(type)}; expected "ConvTranspose3d", "BatchNorm3d", "ReLU", "LeakyReLU", "Tanh" or "Sigmoid"`,
        );
    }
  }
  flush();
  return dlnetwork(layers);
}

interface Tensor {
  readonly data: FloatArray;
  readonly shape: readonly number[];
}

/** A convolution read from the file, waiting for a BatchNorm3d that may follow it. */
interface PendingConv {
  readonly module: PyTorchConvTranspose3d;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
}

function checkPrefix(name: unknown, what: string): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new ArgumentError(
      `${WHERE}: ${what}.name must be the module's state_dict prefix (a nonempty string), got ${describeValue(name)}`,
    );
  }
  return name;
}

function optionalTensor(
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  name: string,
  what: string,
): Tensor | null {
  const t = tensors.get(name);
  if (t === undefined) return null;
  if (t.data === null) {
    throw new ArgumentError(
      `${WHERE}: ${what}: tensor "${name}" has dtype ${t.dtype}; expected F32, F64, F16 or BF16`,
    );
  }
  return { data: t.data, shape: t.shape };
}

function tensor(
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  name: string,
  what: string,
): Tensor {
  const t = optionalTensor(tensors, name, what);
  if (t === null) {
    throw new ArgumentError(`${WHERE}: ${what}: the file has no tensor named "${name}"`);
  }
  return t;
}

/** The convolution's weight and bias with the batch normalization folded in. */
function fold(
  conv: PendingConv,
  bn: PyTorchBatchNorm3d,
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  what: string,
): { weight: Tensor; bias: Tensor } {
  const name = checkPrefix(bn.name, what);
  const eps = bn.eps ?? 1e-5;
  if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0) {
    throw new ArgumentError(
      `${WHERE}: ${what}.eps must be a nonnegative finite number, got ${describeValue(eps)}`,
    );
  }
  const w = conv.weight;
  const [cin, fg] = w.shape as [number, number];
  const groups = conv.module.groups ?? conv.module.group ?? 1;
  const cout = fg * groups;
  if (w.shape.length !== 5 || !Number.isSafeInteger(groups) || groups < 1 || cin % groups !== 0) {
    // fromConvTranspose3d reports the weight's or the groups' mistake in its own words.
    fromConvTranspose3d({ ...stripName(conv.module), weight: w.data, weightShape: w.shape });
  }
  if (conv.bias !== null && conv.bias.data.length !== cout) {
    throw new SizeError(
      `${WHERE}: ${what}: tensor "${conv.module.name}.bias" has shape [${conv.bias.shape}]; expected [${cout}] (Cout)`,
    );
  }
  const stat = (key: string, required: boolean): Tensor | null => {
    const t = required
      ? tensor(tensors, `${name}.${key}`, what)
      : optionalTensor(tensors, `${name}.${key}`, what);
    if (t !== null && (t.shape.length !== 1 || t.shape[0] !== cout)) {
      throw new SizeError(
        `${WHERE}: ${what}: tensor "${name}.${key}" has shape [${t.shape}]; expected [${cout}] (the ConvTranspose3d's Cout)`,
      );
    }
    return t;
  };
  const mean = stat("running_mean", true)?.data as FloatArray;
  const variance = stat("running_var", true)?.data as FloatArray;
  // affine=False: no weight and bias (gamma 1, beta 0).
  const gamma = stat("weight", false)?.data;
  const beta = stat("bias", false)?.data;
  const s = Float64Array.from({ length: cout }, (_, o) => {
    return (gamma?.[o] ?? 1) / Math.sqrt((variance[o] as number) + eps);
  });
  const Out = w.data instanceof Float64Array ? Float64Array : Float32Array;
  const weight = new Out(w.data.length);
  const slice = w.data.length / (cin * fg); // kD * kH * kW
  const cinPerGroup = cin / groups;
  for (let ci = 0; ci < cin; ci++) {
    for (let j = 0; j < fg; j++) {
      const scale = s[Math.floor(ci / cinPerGroup) * fg + j] as number;
      const base = (ci * fg + j) * slice;
      for (let k = 0; k < slice; k++) weight[base + k] = (w.data[base + k] as number) * scale;
    }
  }
  const bias = new Out(cout);
  for (let o = 0; o < cout; o++) {
    const b = (conv.bias?.data[o] as number | undefined) ?? 0;
    bias[o] = (b - (mean[o] as number)) * (s[o] as number) + (beta?.[o] ?? 0);
  }
  return { weight: { data: weight, shape: w.shape }, bias: { data: bias, shape: [cout] } };
}

function stripName(m: PyTorchConvTranspose3d): Omit<PyTorchConvTranspose3d, "type" | "name"> {
  const { type: _type, name: _name, ...params } = m;
  return params;
}
