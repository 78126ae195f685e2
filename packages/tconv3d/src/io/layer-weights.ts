/**
 * The layer's learnables as safetensors tensors: which tensor holds what, in which layout.
 *
 * The weight tensor is the layer's weight size reversed, the row-major view of the same bytes:
 * `[NumChannels, NumFilters/NumGroups, k3, k2, k1]` for `FilterSize` `[k1, k2, k3]`. For a layer
 * used with `fromNCDHW` inputs (spatial order `[W, H, D]`) that is PyTorch's
 * `ConvTranspose3d.weight` `[Cin, Cout/groups, kD, kH, kW]`, so the bytes pass through
 * unchanged. The bias is `[NumFilters]`.
 *
 * @module
 */

import { describeValue } from "../dlarray/describe.js";
import { DlArray, type FloatArray } from "../dlarray/dlarray.js";
import { ArgumentError, SizeError } from "../errors.js";
import { weightSize } from "../functional/filter.js";
import type { Vec3 } from "../functional/options.js";
import { parseSafetensors, type SafetensorsTensor, saveSafetensors } from "./safetensors.js";

/** Tensor names for {@link TransposedConv3dLayer.loadWeights} and `saveWeights`. */
export interface WeightNames {
  /** Name of the weight tensor, e.g. `"decoder.up1.weight"`. */
  weight: string;
  /** Name of the bias tensor, e.g. `"decoder.up1.bias"`; omit to leave the bias alone. */
  bias?: string;
}

/** What the mapping needs to know of a layer. @internal */
export interface WeightLayout {
  readonly filterSize: Vec3;
  readonly numFilters: number;
  readonly numGroups: number;
  /** `"auto"` until known. */
  readonly numChannels: number | "auto";
}

/**
 * The layer's weights (in the layer's size) and, when named, its bias, read from a safetensors
 * file's bytes or its parsed tensors; checked against `layout`, not yet against the layer's
 * other rules.
 *
 * @throws FileFormatError for a malformed file; ArgumentError naming the tensor for a missing
 *   name or a non-float dtype, SizeError for a wrong shape.
 * @internal
 */
export function readLayerWeights(
  source: Uint8Array | ArrayBuffer | ReadonlyMap<string, SafetensorsTensor>,
  names: WeightNames,
  layout: WeightLayout,
  where: string,
): { weights: DlArray; bias: FloatArray | undefined } {
  const names_ = checkNames(names, where);
  const tensors =
    source instanceof Map
      ? (source as ReadonlyMap<string, SafetensorsTensor>)
      : parseSafetensors(source as Uint8Array).tensors;
  const pick = (name: string): SafetensorsTensor & { data: FloatArray } => {
    const t = tensors.get(name);
    if (t === undefined) {
      const have = [...tensors.keys()];
      const list = have.slice(0, 12).map((n) => `"${n}"`);
      if (have.length > 12) list.push(`... (${have.length} in all)`);
      throw new ArgumentError(
        `${where}: no tensor named "${name}"; the file holds ${have.length === 0 ? "no tensors" : list.join(", ")}`,
      );
    }
    if (t.data === null) {
      throw new ArgumentError(
        `${where}: tensor "${name}" has dtype ${t.dtype}; expected F32, F64, F16 or BF16`,
      );
    }
    return t as SafetensorsTensor & { data: FloatArray };
  };
  const g = layout.numGroups;
  const [k1, k2, k3] = layout.filterSize;
  const fg = layout.numFilters / g;
  const wt = pick(names_.weight);
  const s = wt.shape;
  const c = s[0] as number;
  const cKnown = layout.numChannels === "auto" ? null : layout.numChannels;
  const fits =
    s.length === 5 &&
    s[1] === fg &&
    s[2] === k3 &&
    s[3] === k2 &&
    s[4] === k1 &&
    c >= 1 &&
    c % g === 0 &&
    (cKnown === null || c === cKnown);
  if (!fits) {
    throw new SizeError(
      `${where}: tensor "${names_.weight}" has shape [${s}]; expected ` +
        `[${cKnown ?? "NumChannels"}, ${fg}, ${k3}, ${k2}, ${k1}] ` +
        "([NumChannels, NumFilters/NumGroups, k3, k2, k1]: the layer's weight size " +
        `reversed, PyTorch's [Cin, Cout/groups, kD, kH, kW] for FilterSize [kW kH kD])` +
        (g > 1 ? ` with NumChannels a multiple of NumGroups = ${g}` : ""),
    );
  }
  const weights = new DlArray(wt.data, weightSize(layout.filterSize, layout.numFilters, c, g));
  if (names_.bias === undefined) return { weights, bias: undefined };
  const bt = pick(names_.bias);
  if (bt.shape.length !== 1 || bt.shape[0] !== layout.numFilters) {
    throw new SizeError(
      `${where}: tensor "${names_.bias}" has shape [${bt.shape}]; expected [${layout.numFilters}] (NumFilters)`,
    );
  }
  return { weights, bias: bt.data };
}

/**
 * A safetensors file of the layer's weights and, when named, its bias, each in its own
 * precision (`F32` for single).
 *
 * @throws ArgumentError when the layer has no weights (or no bias, when named) yet, or the
 *   names are malformed or equal.
 * @internal
 */
export function writeLayerWeights(
  names: WeightNames,
  layout: WeightLayout,
  learnables: { readonly weights: DlArray | null; readonly bias: DlArray | null },
  metadata: Readonly<Record<string, string>> | undefined,
  where: string,
): Uint8Array {
  const names_ = checkNames(names, where);
  if (learnables.weights === null) {
    throw new ArgumentError(
      `${where}: the layer has no weights yet; call initialize(X) or set them`,
    );
  }
  const [k1, k2, k3] = layout.filterSize;
  const c = layout.numChannels as number;
  const tensors = new Map([
    [
      names_.weight,
      {
        data: learnables.weights.data,
        shape: [c, layout.numFilters / layout.numGroups, k3, k2, k1],
      },
    ],
  ]);
  if (names_.bias !== undefined) {
    if (learnables.bias === null) {
      throw new ArgumentError(`${where}: the layer has no bias yet; call initialize(X) or set it`);
    }
    if (names_.bias === names_.weight) {
      throw new ArgumentError(
        `${where}: weight and bias need different names, got "${names_.bias}" twice`,
      );
    }
    tensors.set(names_.bias, { data: learnables.bias.data, shape: [layout.numFilters] });
  }
  return saveSafetensors(tensors, metadata);
}

function checkNames(names: unknown, where: string): WeightNames {
  const ok = (v: unknown) => typeof v === "string" && v.length > 0;
  if (
    names === null ||
    typeof names !== "object" ||
    !ok((names as WeightNames).weight) ||
    ((names as WeightNames).bias !== undefined && !ok((names as WeightNames).bias))
  ) {
    throw new ArgumentError(
      `${where}: names must be { weight: string, bias?: string } (nonempty tensor names), got ${describeValue(names)}`,
    );
  }
  for (const k of Object.keys(names)) {
    if (k !== "weight" && k !== "bias") {
      throw new ArgumentError(
        `${where}: unknown key ${describeValue(k)} in names; expected weight, bias`,
      );
    }
  }
  return names as WeightNames;
}
