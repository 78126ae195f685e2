/**
 * The client's encoding of call arguments (for `server.ts`'s `decode`) and decoding of results.
 *
 * Typed arrays are copied by default: sliced here (only the view's own elements, never a whole
 * larger buffer) and the copy's buffer transferred, so a call costs one copy. With
 * `{ transfer: true }` the caller's own buffers are transferred: no copy, and they are detached
 * here afterwards. WasmArrays (of a backend on this thread) and shared buffers are always
 * copied: their memory cannot be detached.
 *
 * @module
 * @internal
 */

import { DlArray, type FloatArray, isFloatArray } from "../dlarray/index.js";
import { ArgumentError } from "../errors.js";
import { WasmArray } from "../functional/wasm-array.js";
import type { Channel } from "./channel.js";
import {
  isPlainObject,
  isTagged,
  TAG,
  type WireDlArray,
  type WireHandle,
  type WireRemoteArray,
  type WireUrl,
} from "./protocol.js";
import { RemoteArray, RemoteObject } from "./remote.js";

/** Encodes the arguments of one call, collecting the buffers to transfer. */
export class Encoder {
  readonly #channel: Channel;
  readonly #move: boolean;
  readonly #where: string;
  readonly #transfer = new Set<ArrayBuffer>();

  /**
   * @param move - transfer the caller's buffers (`{ transfer: true }`) instead of copying.
   * @param where - the function, for messages.
   */
  constructor(channel: Channel, move: boolean, where: string) {
    this.#channel = channel;
    this.#move = move;
    this.#where = where;
  }

  /** The buffers to transfer with the message. */
  get transfer(): ArrayBuffer[] {
    return [...this.#transfer];
  }

  /** `v` (named `name` in messages) as the worker decodes it. */
  encode(v: unknown, name: string): unknown {
    if (typeof v === "function" || typeof v === "symbol") {
      throw new ArgumentError(
        `${this.#where}: ${name} is a ${typeof v}, which cannot be sent to the worker` +
          (typeof v === "function"
            ? " (in the async API initializers are built-in names; pass weights and bias as values)"
            : ""),
      );
    }
    if (typeof v !== "object" || v === null) return v;
    if (v instanceof RemoteObject) {
      const out: WireHandle = {
        [TAG]: "handle",
        handle: RemoteObject.handleOf(v, this.#channel, this.#where, name),
      };
      return out;
    }
    if (v instanceof DlArray) {
      const out: WireDlArray = {
        [TAG]: "dlarray",
        data: this.#array(v.data, v instanceof WasmArray),
        size: [...v.size],
        format: v.format,
      };
      return out;
    }
    if (isFloatArray(v) || v instanceof Uint8Array) return this.#array(v, false);
    if (v instanceof ArrayBuffer) {
      if (this.#move) this.#transfer.add(v);
      return v;
    }
    if (v instanceof URL) {
      const out: WireUrl = { [TAG]: "url", href: v.href };
      return out;
    }
    if (Array.isArray(v)) return v.map((x, i) => this.encode(x, `${name}[${i}]`));
    if (isPlainObject(v)) {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, this.encode(x, `${name}.${k}`)]),
      );
    }
    // Maps (of safetensors tensors), DataViews, WebAssembly.Modules: structured clone's.
    return v;
  }

  #array<T extends FloatArray | Uint8Array>(data: T, pinned: boolean): T {
    const b = data.buffer;
    if (this.#move && !pinned && b instanceof ArrayBuffer) {
      this.#transfer.add(b);
      return data;
    }
    const copy = data.slice() as T;
    this.#transfer.add(copy.buffer as ArrayBuffer);
    return copy;
  }
}

/** A result from the worker: dlarrays rebuilt, resident arrays as {@link RemoteArray}s. */
export function decodeResult(v: unknown, channel: Channel): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (isTagged(v, "dlarray")) {
    const w = v as unknown as WireDlArray;
    return new DlArray(w.data, w.size, w.format);
  }
  if (isTagged(v, "remote")) {
    const w = v as unknown as WireRemoteArray;
    // An array given as `out` comes back as itself.
    return channel.known(w.handle) ?? new RemoteArray(channel, w);
  }
  if (Array.isArray(v)) return v.map((x) => decodeResult(x, channel));
  if (isPlainObject(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeResult(x, channel)]));
  }
  return v;
}
