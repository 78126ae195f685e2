/**
 * Format-aware column-major tensors and the helpers around them.
 *
 * @module
 */

export { describeValue } from "./describe.js";
export {
  checkFormat,
  checkNoArguments,
  checkSize,
  DlArray,
  type Dtype,
  type DtypeOf,
  dlarray,
  dtypeOf,
  extractdata,
  type FloatArray,
  type Format,
  fromNCDHW,
  fromNDHWC,
  type IsFormat,
  isFloatArray,
  type Label,
  type RowMajorTensor,
  type SameDtype,
} from "./dlarray.js";
export { columnMajorStrides, isPermutation, isTrivialPermutation, permute } from "./permute.js";
export { type BatchAxis, type SpatialView, spatialView } from "./view.js";
