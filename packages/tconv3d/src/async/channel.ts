/**
 * The client's end of the connection to the API worker: numbers requests, matches replies,
 * rebuilds errors, and fails every pending and later call with one clear BackendError once the
 * worker is terminated or dies.
 *
 * @module
 * @internal
 */

import { ArgumentError, BackendError } from "../errors.js";
import { rebuildError } from "./errors.js";
import { isReply, type LayerSnapshot, type Request, type RequestBody } from "./protocol.js";
import type { ApiWorkerPort } from "./spawn.js";

/** A successful reply: the (still encoded) value, and the layer's properties after a call. */
export interface Outcome {
  readonly value: unknown;
  readonly layer?: LayerSnapshot | undefined;
}

interface Pending {
  resolve(outcome: Outcome): void;
  reject(error: unknown): void;
  /** What the call was given, kept reachable until it settles: resident arguments dropped by
   * the caller must not be released (by the garbage collector) while the worker uses them. */
  keep: unknown;
}

const TERMINATED =
  "this worker backend was terminated (terminate()); start another with initWorker()";

/** One API worker's connection. */
export class Channel {
  readonly #port: ApiWorkerPort;
  readonly #pending = new Map<number, Pending>();
  readonly #known = new Map<number, WeakRef<object>>();
  #nextId = 1;
  #dead: string | undefined;

  constructor(port: ApiWorkerPort) {
    this.#port = port;
    port.listen(
      (data) => this.#onMessage(data),
      (reason) => this.#fail(`the API worker failed: ${reason}`),
    );
    // Idle until the first call (Node: the process may exit while nothing is pending).
    port.unref();
  }

  /** Whether the worker is gone (terminated or failed). */
  get dead(): boolean {
    return this.#dead !== undefined;
  }

  /** The error every call gets once the worker is gone. */
  #deadError(): BackendError {
    return new BackendError("TCONV3D_WORKER", `tconv3d: ${this.#dead}`);
  }

  /** Sends a request; resolves with its reply, rejects with the rebuilt error. */
  request(body: RequestBody, transfer: ArrayBuffer[], keep?: unknown): Promise<Outcome> {
    if (this.#dead !== undefined) return Promise.reject(this.#deadError());
    const id = this.#nextId++;
    return new Promise<Outcome>((resolve, reject) => {
      try {
        this.#port.post({ ...body, id } as Request, transfer);
      } catch (error) {
        // A DataCloneError: a buffer that cannot be transferred (a view of WASM memory), an
        // object structured clone refuses.
        reject(
          new ArgumentError(
            `tconv3d: this call's arguments cannot be sent to the worker: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          ),
        );
        return;
      }
      this.#pending.set(id, { resolve, reject, keep });
      if (this.#pending.size === 1) this.#port.ref();
    });
  }

  /** Frees a resident object in the worker (no reply; a no-op once the worker is gone). */
  release(handle: number): void {
    this.#known.delete(handle);
    if (this.#dead !== undefined) return;
    try {
      this.#port.post({ op: "release", handles: [handle] }, []);
    } catch {
      // The worker is going away: its memory goes with it.
    }
  }

  /** The client object for `handle`, while it is reachable. */
  known(handle: number): object | undefined {
    return this.#known.get(handle)?.deref();
  }

  /** Records the client object for `handle` (results that name it again return it). */
  remember(handle: number, target: object): void {
    this.#known.set(handle, new WeakRef(target));
  }

  /** Stops the worker; pending and later calls reject with a BackendError that says so. */
  terminate(): void {
    this.#fail(TERMINATED);
  }

  #fail(reason: string): void {
    if (this.#dead !== undefined) return;
    this.#dead = reason;
    this.#port.terminate();
    const error = this.#deadError();
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    this.#known.clear();
  }

  #onMessage(data: unknown): void {
    if (!isReply(data)) return;
    const p = this.#pending.get(data.id);
    if (p === undefined) return;
    this.#pending.delete(data.id);
    if (this.#pending.size === 0) this.#port.unref();
    if (data.ok) p.resolve({ value: data.value, layer: data.layer });
    else p.reject(rebuildError(data.error));
  }
}
