/**
 * Client-side stand-ins for objects that live in the API worker: {@link RemoteArray} (a tensor
 * resident in the worker's WASM memory) and {@link RemoteOptimizerState}; the layer is in
 * `remote-layer.ts`.
 *
 * @module
 */

import { DlArray, type Dtype } from "../dlarray/index.js";
import { ArgumentError, BackendError } from "../errors.js";
import type { AdamState, SgdmState } from "../training/update.js";
import type { Channel } from "./channel.js";
import { isTagged, type WireDlArray, type WireRemoteArray, type WireState } from "./protocol.js";

interface Held {
  readonly channel: Channel;
  readonly handle: number;
}

// An object the caller dropped without dispose() is freed in the worker once collected here.
const registry =
  typeof FinalizationRegistry === "function"
    ? new FinalizationRegistry<Held>(({ channel, handle }) => channel.release(handle))
    : null;

/** Something that lives in an API worker under a handle; freed by `dispose()` (or the GC). */
export abstract class RemoteObject {
  readonly #channel: Channel;
  readonly #handle: number;
  #disposed = false;

  /** @internal */
  protected constructor(channel: Channel, handle: number) {
    this.#channel = channel;
    this.#handle = handle;
    channel.remember(handle, this);
    registry?.register(this, { channel, handle }, this);
  }

  /** Whether {@link RemoteObject.dispose} has freed it (or its worker is gone). */
  get disposed(): boolean {
    return this.#disposed || this.#channel.dead;
  }

  /**
   * Frees it in the worker (after the calls already made on it). Later calls that take it
   * reject with a BackendError (`TCONV3D_DISPOSED`). Idempotent; a no-op after `terminate()`.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    registry?.unregister(this);
    this.#channel.release(this.#handle);
  }

  /** @internal The connection it belongs to. */
  protected get channel(): Channel {
    return this.#channel;
  }

  /**
   * @internal The handle of `o` for a call on `channel`.
   * @throws BackendError (`TCONV3D_DISPOSED`) when disposed; ArgumentError when `o` belongs to
   *   another worker backend.
   */
  static handleOf(o: RemoteObject, channel: Channel, where: string, name: string): number {
    if (o.#channel !== channel) {
      throw new ArgumentError(
        `${where}: ${name} belongs to another worker backend; resident objects stay in the worker that made them`,
      );
    }
    if (o.#disposed) {
      throw new BackendError(
        "TCONV3D_DISPOSED",
        `${where}: ${name} was disposed; its memory in the worker is freed`,
      );
    }
    return o.#handle;
  }
}

/**
 * A tensor resident in an API worker's WASM memory (the async API's counterpart of a
 * {@link WasmArray}): made by {@link WorkerBackend.upload} or returned by a call given
 * resident inputs (or `out: "remote"`). It stays in the worker across calls, so a chain of
 * calls on resident arrays moves no tensor data between threads; {@link RemoteArray.download}
 * fetches a copy. Free it with {@link RemoteObject.dispose} (or let the garbage collector).
 */
export class RemoteArray extends RemoteObject {
  /** The size, as a {@link DlArray}'s. */
  readonly size: readonly number[];
  /** The dimension labels, `""` when unformatted. */
  readonly format: string;
  /** `"single"` or `"double"`. */
  readonly dtype: Dtype;

  /** @internal Made by the worker backend. */
  constructor(channel: Channel, wire: WireRemoteArray) {
    super(channel, wire.handle);
    this.size = Object.freeze([...wire.size]);
    this.format = wire.format;
    this.dtype = wire.dtype;
  }

  /** Number of elements, `prod(size)`. */
  get numel(): number {
    return this.size.reduce((p, q) => p * q, 1);
  }

  /** Number of dimensions, `size.length`. */
  get ndims(): number {
    return this.size.length;
  }

  /**
   * A copy of the values, as a {@link DlArray} of the same size, labels and precision (the
   * worker copies them out of WASM memory and transfers the copy). The array stays resident.
   */
  async download(): Promise<DlArray> {
    const target = RemoteObject.handleOf(this, this.channel, "RemoteArray.download", "the array");
    const { value } = await this.channel.request({ op: "download", target }, [], this);
    if (!isTagged(value, "dlarray")) throw new BackendError("TCONV3D_WORKER", "tconv3d: bad reply");
    const w = value as unknown as WireDlArray;
    return new DlArray(w.data, w.size, w.format);
  }

  /** A one-line description, e.g. `RemoteArray [8×8×8×16] "SSSC" single`. */
  toString(): string {
    return `RemoteArray [${this.size.join("×")}] "${this.format}" ${this.dtype}${this.disposed ? " (disposed)" : ""}`;
  }
}

/** The state (`AdamState` or `SgdmState`) of optimizer `O`. */
export type OptimizerStateOf<O extends "adam" | "sgdm"> = O extends "adam" ? AdamState : SgdmState;

/**
 * An optimizer state resident in an API worker (made by {@link WorkerBackend.adamupdate} or
 * {@link WorkerBackend.sgdmupdate}). Passing it to the next step updates it in the worker in
 * place, so a training loop keeps one state there and sends none of it across.
 */
export class RemoteOptimizerState<
  O extends "adam" | "sgdm" = "adam" | "sgdm",
> extends RemoteObject {
  /** `"adam"` or `"sgdm"`. */
  readonly optimizer: O;
  #iteration: number;

  /** @internal Made by the worker backend. */
  constructor(channel: Channel, wire: WireState) {
    super(channel, wire.handle);
    this.optimizer = wire.optimizer as O;
    this.#iteration = wire.iteration;
  }

  /** Adam's step count `t` (the state's `iteration`); for SGDM, the steps made with it here. */
  get iteration(): number {
    return this.#iteration;
  }

  /** @internal Records a step made with this state. */
  static stepped(state: RemoteOptimizerState, wire: WireState): void {
    state.#iteration = state.optimizer === "adam" ? wire.iteration : state.#iteration + 1;
  }

  /** A copy of the state, as the synchronous `adamupdate`/`sgdmupdate` return it. */
  async download(): Promise<OptimizerStateOf<O>> {
    const target = RemoteObject.handleOf(
      this,
      this.channel,
      "RemoteOptimizerState.download",
      "the state",
    );
    const { value } = await this.channel.request({ op: "download", target }, [], this);
    return Object.freeze(value) as OptimizerStateOf<O>;
  }
}
