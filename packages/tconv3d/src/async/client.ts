/**
 * The async API: {@link initWorker} starts a dedicated worker that loads the backend and runs
 * every computation, so the calling thread (a page's main thread) never blocks, and the
 * threaded build's thread in the worker waits for the pool with `Atomics.wait` instead of
 * spinning.
 *
 * @module
 */

import { DlArray, describeValue } from "../dlarray/index.js";
import { ArgumentError } from "../errors.js";
import type { BiasInput, DltranspconvOptions } from "../functional/dltranspconv.js";
import type { Gradients } from "../functional/ops.js";
import type { TransposedConv3dNameValues, TransposedConv3dOptions } from "../layer/options.js";
import type { BackendInfo, InitOptions } from "../runtime/loader.js";
import type { AdamOptions, AdamState, SgdmOptions, SgdmState } from "../training/update.js";
import type { Exact, NameValueArgs } from "../typing.js";
import { Channel } from "./channel.js";
import { decodeResult, Encoder } from "./codec.js";
import {
  type ArrayInput,
  backwardOut,
  callOptions,
  forwardOut,
  type RemoteBackwardOptions,
  type RemoteGradientOutputs,
  type RemoteGradients,
  type RemoteLearnableGradients,
  type RemotePredictOptions,
  syncOptions,
  type TransferOption,
  transferOnly,
} from "./options.js";
import { isTagged, type RequestBody, type WireLayer, type WireState } from "./protocol.js";
import { RemoteArray, RemoteOptimizerState } from "./remote.js";
import { RemoteLayer } from "./remote-layer.js";
import { type ApiWorkerHost, apiWorkerHost } from "./spawn.js";

/** Options of {@link initWorker}: those of `init()`, which the worker calls, and its script. */
export interface WorkerInitOptions extends InitOptions {
  /**
   * The API worker's script, where a bundler did not emit it: the URL of the package's
   * `dist/async/worker-web.js` served with the modules beside it, or of a single-file bundle of
   * it (the browser entry); the path or URL of `dist/async/worker-node.js` (the Node entry). By default the
   * package's own, next to its code. Relative URLs resolve against the page.
   */
  apiWorkerUrl?: string | URL;
}

const INIT_KEYS = new Set([
  "threads",
  "variant",
  "module",
  "wasmPaths",
  "workerUrl",
  "apiWorkerUrl",
]);

/** Locations resolved here: the worker would resolve a relative URL against its own script. */
function resolveLocations(options: InitOptions, host: ApiWorkerHost): InitOptions {
  const at = (v: unknown) => (typeof v === "string" || v instanceof URL ? host.resolve(v) : v);
  const out: Record<string, unknown> = { ...options };
  if (options.workerUrl !== undefined) out.workerUrl = at(options.workerUrl);
  const paths: unknown = options.wasmPaths;
  if (typeof paths === "string" || paths instanceof URL) out.wasmPaths = at(paths);
  else if (typeof paths === "object" && paths !== null) {
    out.wasmPaths = Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, at(v)]));
  }
  return out as InitOptions;
}

/**
 * Starts a dedicated worker (a module Web Worker with the package's browser entry, a
 * `worker_threads` Worker with its Node entry) that calls `init(options)` and then runs the
 * calls of the returned {@link WorkerBackend}. A page's main thread stays free while it
 * computes; in the worker, the threaded build's calling thread may block while it waits for the
 * pool, where a page's main thread must spin. Each call starts its own
 * worker, with its own backend (so different variants or thread counts can run side by side);
 * stop it with {@link WorkerBackend.terminate}.
 *
 * ```ts
 * const backend = await initWorker({ threads: 4 });
 * const layer = await backend.transposedConv3dLayer(4, 64, { stride: 2, cropping: 1 });
 * const Y = await layer.predict(X);               // a DlArray
 * const Xr = await backend.upload(X);             // resident in the worker
 * const Yr = await layer.predict(Xr);             // a RemoteArray: stays there
 * const y = await Yr.download();
 * backend.terminate();
 * ```
 *
 * @throws (rejects with) what `init(options)` throws in the worker (ArgumentError, BackendError
 *   `TCONV3D_INIT`), the same class and code; BackendError `TCONV3D_WORKER` when the worker
 *   script does not load; BackendError `TCONV3D_INIT` in Cloudflare Workers (no threads).
 */
export async function initWorker(options: WorkerInitOptions = {}): Promise<WorkerBackend> {
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(
      `tconv3d: initWorker(options) takes an object, got ${describeValue(options)}`,
    );
  }
  for (const k of Object.keys(options)) {
    if (!INIT_KEYS.has(k)) {
      throw new ArgumentError(
        `tconv3d: initWorker() has no option ${describeValue(k)}; expected ${[...INIT_KEYS].join(", ")}`,
      );
    }
  }
  const { apiWorkerUrl, ...init } = options;
  if (
    apiWorkerUrl !== undefined &&
    typeof apiWorkerUrl !== "string" &&
    !(apiWorkerUrl instanceof URL)
  ) {
    throw new ArgumentError(
      `tconv3d: initWorker({ apiWorkerUrl }) must be a URL or path, got ${describeValue(apiWorkerUrl)}`,
    );
  }
  const host = apiWorkerHost();
  const channel = new Channel(
    host.spawn(apiWorkerUrl === undefined ? undefined : host.resolve(apiWorkerUrl)),
  );
  try {
    const enc = new Encoder(channel, false, "initWorker");
    const request = enc.encode(resolveLocations(init, host), "options");
    const { value } = await channel.request({ op: "init", options: request }, enc.transfer);
    return new WorkerBackend(channel, value as BackendInfo);
  } catch (error) {
    channel.terminate();
    throw error;
  }
}

/**
 * A backend in a dedicated worker (made by {@link initWorker}): the package's API with every
 * computation in the worker and Promises for results. Calls run in the order they are made.
 */
export class WorkerBackend {
  /** What the worker's `init()` loaded (its `backendInfo()`). */
  readonly info: BackendInfo;
  readonly #channel: Channel;

  /** @internal Use {@link initWorker}. */
  constructor(channel: Channel, info: BackendInfo) {
    this.#channel = channel;
    this.info = Object.freeze({ ...info });
  }

  /** Whether {@link WorkerBackend.terminate} stopped the worker (or it failed). */
  get terminated(): boolean {
    return this.#channel.dead;
  }

  async #request(body: RequestBody, enc: Encoder, keep: unknown): Promise<unknown> {
    const { value } = await this.#channel.request(body, enc.transfer, keep);
    return decodeResult(value, this.#channel);
  }

  /**
   * Creates a layer in the worker (the synchronous `transposedConv3dLayer`, same arguments).
   * Initial weights and bias are copied to the worker; initializer functions cannot be sent
   * (use a built-in name, or give the weights).
   */
  transposedConv3dLayer<const O extends TransposedConv3dOptions>(
    filterSize: number | readonly number[],
    numFilters: number,
    options?: Exact<O, TransposedConv3dOptions>,
  ): Promise<RemoteLayer>;
  /** The same, its options given as MATLAB's Name-Value pairs. */
  transposedConv3dLayer<const A extends readonly unknown[]>(
    filterSize: number | readonly number[],
    numFilters: number,
    ...nameValues: NameValueArgs<TransposedConv3dNameValues, A>
  ): Promise<RemoteLayer>;
  async transposedConv3dLayer(
    filterSize: number | readonly number[],
    numFilters: number,
    ...rest: unknown[]
  ): Promise<RemoteLayer> {
    const enc = new Encoder(this.#channel, false, "transposedConv3dLayer");
    const args = [filterSize, numFilters, ...rest].map((a, i) =>
      enc.encode(a, `argument ${i + 1}`),
    );
    const value = await this.#request({ op: "layer", args }, enc, undefined);
    return new RemoteLayer(this.#channel, value as WireLayer);
  }

  /**
   * Copies `X` into the worker's WASM memory (transfers its buffer with `{ transfer: true }`):
   * calls given the returned {@link RemoteArray} read it there, and return resident results.
   */
  async upload(X: DlArray, options?: TransferOption): Promise<RemoteArray> {
    const where = "upload";
    const move = transferOnly(options, where);
    if (!(X instanceof DlArray)) {
      throw new ArgumentError(`${where}: X must be a dlarray, got ${describeValue(X)}`);
    }
    const enc = new Encoder(this.#channel, move, where);
    const array = enc.encode(X, "X") as Extract<RequestBody, { op: "upload" }>["array"];
    return (await this.#request({ op: "upload", array }, enc, X)) as RemoteArray;
  }

  /**
   * The synchronous `dltranspconv`, in the worker. Arrays by value or resident; `out` and
   * `transfer` as for {@link RemoteLayer.predict}.
   */
  dltranspconv(
    X: RemoteArray,
    weights: ArrayInput,
    bias: BiasInput | RemoteArray,
    options?: DltranspconvOptions &
      RemotePredictOptions & { readonly out?: "remote" | RemoteArray },
  ): Promise<RemoteArray>;
  dltranspconv(
    X: ArrayInput,
    weights: ArrayInput,
    bias: BiasInput | RemoteArray,
    options: DltranspconvOptions & RemotePredictOptions & { readonly out: "remote" | RemoteArray },
  ): Promise<RemoteArray>;
  dltranspconv(
    X: DlArray,
    weights: ArrayInput,
    bias: BiasInput | RemoteArray,
    options?: DltranspconvOptions & RemotePredictOptions & { readonly out?: "local" },
  ): Promise<DlArray>;
  dltranspconv(
    X: ArrayInput,
    weights: ArrayInput,
    bias: BiasInput | RemoteArray,
    options?: DltranspconvOptions & RemotePredictOptions,
  ): Promise<DlArray | RemoteArray>;
  async dltranspconv(
    X: ArrayInput,
    weights: ArrayInput,
    bias: BiasInput | RemoteArray,
    options?: DltranspconvOptions & RemotePredictOptions,
  ): Promise<DlArray | RemoteArray> {
    const where = "dltranspconv";
    const { rest, out, move } = callOptions(options, where);
    const enc = new Encoder(this.#channel, move, where);
    const named = { X, weights, bias, options: syncOptions(rest, forwardOut(out, X, where)) };
    const args = Object.entries(named).map(([k, v]) => enc.encode(v, k));
    return (await this.#request({ op: "function", name: where, args }, enc, named)) as
      | DlArray
      | RemoteArray;
  }

  /**
   * The synchronous `dltranspconvBackward`, in the worker. `out` and `transfer` as for
   * {@link RemoteLayer.backward}.
   */
  dltranspconvBackward(
    X: RemoteArray,
    weights: ArrayInput,
    dLdY: ArrayInput,
    options?: DltranspconvOptions &
      RemoteBackwardOptions & { readonly out?: "remote" | RemoteGradientOutputs },
  ): Promise<RemoteGradients>;
  dltranspconvBackward(
    X: ArrayInput,
    weights: ArrayInput,
    dLdY: RemoteArray,
    options?: DltranspconvOptions &
      RemoteBackwardOptions & { readonly out?: "remote" | RemoteGradientOutputs },
  ): Promise<RemoteGradients>;
  dltranspconvBackward(
    X: ArrayInput,
    weights: ArrayInput,
    dLdY: ArrayInput,
    options: DltranspconvOptions &
      RemoteBackwardOptions & { readonly out: "remote" | RemoteGradientOutputs },
  ): Promise<RemoteGradients>;
  dltranspconvBackward(
    X: DlArray,
    weights: ArrayInput,
    dLdY: DlArray,
    options?: DltranspconvOptions & RemoteBackwardOptions & { readonly out?: "local" },
  ): Promise<Gradients>;
  dltranspconvBackward(
    X: ArrayInput,
    weights: ArrayInput,
    dLdY: ArrayInput,
    options?: DltranspconvOptions & RemoteBackwardOptions,
  ): Promise<Gradients | RemoteGradients>;
  async dltranspconvBackward(
    X: ArrayInput,
    weights: ArrayInput,
    dLdY: ArrayInput,
    options?: DltranspconvOptions & RemoteBackwardOptions,
  ): Promise<Gradients | RemoteGradients> {
    const where = "dltranspconvBackward";
    const { rest, out, move } = callOptions(options, where);
    const enc = new Encoder(this.#channel, move, where);
    const options_ = syncOptions(rest, backwardOut(out, [X, dLdY], where));
    const named = { X, weights, dLdY, options: options_ };
    const args = Object.entries(named).map(([k, v]) => enc.encode(v, k));
    return (await this.#request({ op: "function", name: where, args }, enc, named)) as
      | Gradients
      | RemoteGradients;
  }

  /** One optimizer step in the worker; a resident state is updated in place and returned. */
  async #step<O extends "adam" | "sgdm">(
    optimizer: O,
    layer: RemoteLayer,
    grads: RemoteLearnableGradients,
    state: RemoteOptimizerState<O> | AdamState | SgdmState | null | undefined,
    options: ((AdamOptions | SgdmOptions) & TransferOption) | undefined,
  ): Promise<RemoteOptimizerState<O>> {
    const name = optimizer === "adam" ? "adamupdate" : "sgdmupdate";
    const { rest, move } = callOptions(options, name);
    if (typeof grads !== "object" || grads === null) {
      throw new ArgumentError(
        `${name}: grads must be { dLdW, dLdB } as layer.backward returns, got ${describeValue(grads)}`,
      );
    }
    if (!(layer instanceof RemoteLayer)) {
      throw new ArgumentError(
        `${name}: layer must be a RemoteLayer (from backend.transposedConv3dLayer), got ${describeValue(layer)}`,
      );
    }
    const enc = new Encoder(this.#channel, move, name);
    // Only what the step reads: dLdX (often the largest) is not sent.
    const named = {
      layer,
      grads: { dLdW: grads.dLdW, dLdB: grads.dLdB },
      state: state ?? null,
      options: syncOptions(rest, undefined),
    };
    const args = Object.entries(named).map(([k, v]) => enc.encode(v, k));
    const value = await this.#request({ op: "optimizer", name, args }, enc, named);
    if (!isTagged(value, "state")) throw new Error("tconv3d: bad reply from the worker");
    const wire = value as unknown as WireState;
    if (state instanceof RemoteOptimizerState) {
      RemoteOptimizerState.stepped(state, wire);
      return state;
    }
    return new RemoteOptimizerState<O>(this.#channel, wire);
  }

  /**
   * One Adam step (the synchronous `adamupdate`) on a layer in the worker, with gradients
   * resident or by value (`dLdX` is not sent). The state stays in the worker: pass the returned
   * {@link RemoteOptimizerState} to the next step, which updates it in place (and returns it).
   * A state from the synchronous API is copied in as the start.
   */
  adamupdate(
    layer: RemoteLayer,
    grads: RemoteLearnableGradients,
    state?: RemoteOptimizerState<"adam"> | AdamState | null,
    options?: AdamOptions & TransferOption,
  ): Promise<RemoteOptimizerState<"adam">> {
    return this.#step("adam", layer, grads, state, options);
  }

  /** One SGD-with-momentum step (the synchronous `sgdmupdate`); state as for `adamupdate`. */
  sgdmupdate(
    layer: RemoteLayer,
    grads: RemoteLearnableGradients,
    state?: RemoteOptimizerState<"sgdm"> | SgdmState | null,
    options?: SgdmOptions & TransferOption,
  ): Promise<RemoteOptimizerState<"sgdm">> {
    return this.#step("sgdm", layer, grads, state, options);
  }

  /**
   * Stops the worker at once (a computation in progress is abandoned) and frees everything in
   * it. Pending and later calls reject with a BackendError (`TCONV3D_WORKER`). Idempotent.
   */
  terminate(): void {
    this.#channel.terminate();
  }
}

export { RemoteArray, RemoteLayer, RemoteOptimizerState };
