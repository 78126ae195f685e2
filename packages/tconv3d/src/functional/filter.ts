/**
 * The two rules of the core's filter (`tconv3d-core`'s `Filter`) that TS applies itself: the
 * size of the weights and the bound on output padding. Layers are built, sized and initialized
 * before the WASM module has loaded (as MATLAB's constructor checks its arguments at once), so
 * these cannot wait for the core; the core checks both again when it packs the weights, and
 * `test/filter-rules.test.ts` holds the two to the same answers.
 *
 * @module
 */

import type { Vec3 } from "./options.js";

/**
 * MATLAB's size of the weights of a filter, column-major: `[h, w, d, F, C]` for one group,
 * `[h, w, d, F/g, C/g, g]` for `g` groups (the core's `[k0 k1 k2 F/g C/g g]`).
 *
 * @param filterSize - the filter's extent along each spatial axis.
 * @param numFilters - `F`, a multiple of `numGroups`.
 * @param numChannels - `C`, a multiple of `numGroups`.
 * @param numGroups - `g`.
 * @internal
 */
export function weightSize(
  filterSize: Vec3,
  numFilters: number,
  numChannels: number,
  numGroups: number,
): number[] {
  const [h, w, d] = filterSize;
  const g = numGroups;
  return g === 1
    ? [h, w, d, numFilters, numChannels]
    : [h, w, d, numFilters / g, numChannels / g, g];
}

/**
 * The first axis whose output padding is not below its stride or its dilation (the output
 * would gain a row no input reaches, which PyTorch refuses too), or -1 when none is.
 *
 * @internal
 */
export function outputPaddingOverflow(
  outputPadding: Vec3,
  stride: Vec3,
  dilationFactor: Vec3,
): number {
  return outputPadding.findIndex(
    (o, a) => o >= (stride[a] as number) && o >= (dilationFactor[a] as number),
  );
}
