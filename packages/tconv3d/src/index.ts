/**
 * tconv3d: MATLAB's `transposedConv3dLayer` for the web. A transposed 3-D convolution with
 * its gradients, computed by a Rust/WebAssembly core (SIMD128, threads where available).
 *
 * Call `await init()` once, then build layers with {@link transposedConv3dLayer} or use the
 * functional {@link dltranspconv}. Every error the package throws is a {@link Tconv3dError}
 * with a stable {@link Tconv3dError.code}.
 *
 * @module
 */

export {
  type ArrayInput,
  initWorker,
  type OptimizerStateOf,
  RemoteArray,
  type RemoteBackwardOptions,
  type RemoteGradientOutputs,
  type RemoteGradients,
  RemoteLayer,
  type RemoteLayerProperties,
  type RemoteLearnableGradients,
  RemoteObject,
  RemoteOptimizerState,
  type RemotePredictOptions,
  type TransferOption,
  WorkerBackend,
  type WorkerInitOptions,
} from "./async/index.js";
export {
  DlArray,
  type Dtype,
  type DtypeOf,
  dlarray,
  extractdata,
  type FloatArray,
  type Format,
  fromNCDHW,
  fromNDHWC,
  type IsFormat,
  type Label,
  type RowMajorTensor,
  type SameDtype,
} from "./dlarray/index.js";
export {
  ArgumentError,
  BackendError,
  FileFormatError,
  FormatError,
  MemoryError,
  SizeError,
  Tconv3dError,
  type Tconv3dErrorCode,
} from "./errors.js";
export {
  type BiasInput,
  type CheckedOptions,
  type DltranspconvNameValues,
  type DltranspconvOptions,
  dltranspconv,
  dltranspconvBackward,
  type InvalidFormat,
} from "./functional/dltranspconv.js";
export type {
  BackwardOptions,
  GradientOutputs,
  Gradients,
  PredictOptions,
  WasmOutput,
} from "./functional/ops.js";
export type { CroppingInput, Vec3 } from "./functional/options.js";
export { WasmArray, wasmArray } from "./functional/wasm-array.js";
export {
  type ConvTranspose3dParams,
  fromConvTranspose3d,
  type Tuple3,
} from "./interop/pytorch.js";
export {
  fromPyTorchSequential,
  type PyTorchActivation,
  type PyTorchBatchNorm3d,
  type PyTorchConvTranspose3d,
  type PyTorchLeakyReLU,
  type PyTorchModule,
} from "./interop/pytorch-sequential.js";
export type { WeightNames } from "./io/layer-weights.js";
export {
  DTYPE_BYTES,
  loadSafetensors,
  parseSafetensors,
  type SafetensorsDtype,
  SafetensorsError,
  type SafetensorsFile,
  type SafetensorsInput,
  type SafetensorsTensor,
  saveSafetensors,
} from "./io/safetensors.js";
export type {
  BiasInitializerName,
  InitializerFunction,
  WeightsInitializerName,
} from "./layer/initializers.js";
export { rngSeed } from "./layer/initializers.js";
export { TransposedConv3dLayer, transposedConv3dLayer } from "./layer/layer.js";
export type {
  ParameterInput,
  TransposedConv3dNameValues,
  TransposedConv3dOptions,
} from "./layer/options.js";
export {
  ActivationLayer,
  type ActivationLayerOptions,
  type ActivationNameValue,
  LeakyReLULayer,
  leakyReluLayer,
  ReLULayer,
  reluLayer,
  SigmoidLayer,
  sigmoidLayer,
  TanhLayer,
  tanhLayer,
} from "./network/activations.js";
export {
  Dlnetwork,
  dlnetwork,
  type LayerGradients,
  type NetworkGradients,
  type NetworkLayer,
  type NetworkLearnable,
  NetworkTrace,
} from "./network/network.js";
export type { NetworkAdamState, NetworkSgdmState } from "./network/update.js";
export {
  type BackendInfo,
  backendInfo,
  type InitOptions,
  init,
  type Variant,
  type WasmPaths,
} from "./runtime/index.js";
export {
  type AdamOptions,
  type AdamState,
  adamupdate,
  type LearnableGradients,
  type SgdmOptions,
  type SgdmState,
  sgdmupdate,
} from "./training/update.js";
export type { Exact, NameValueArgs } from "./typing.js";
