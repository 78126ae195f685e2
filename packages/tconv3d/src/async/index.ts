/**
 * The async API: the package's calls run in a dedicated worker and return Promises
 * ({@link initWorker}).
 *
 * @module
 */

export { initWorker, WorkerBackend, type WorkerInitOptions } from "./client.js";
export type {
  ArrayInput,
  RemoteBackwardOptions,
  RemoteGradientOutputs,
  RemoteGradients,
  RemoteLearnableGradients,
  RemotePredictOptions,
  TransferOption,
} from "./options.js";
export {
  type OptimizerStateOf,
  RemoteArray,
  RemoteObject,
  RemoteOptimizerState,
} from "./remote.js";
export { RemoteLayer, type RemoteLayerProperties } from "./remote-layer.js";
