// `Symbol.dispose`'s type, for `using` (TypeScript 5.2+; kept in the emitted declarations).
/// <reference lib="esnext.disposable" preserve="true" />
/**
 * Tensors that live in WASM memory: the kernels read and write them where they are, so a call
 * on them copies nothing between JS and WASM memory.
 *
 * @module
 */

import {
  checkNoArguments,
  checkSize,
  DlArray,
  type Dtype,
  describeValue,
  type FloatArray,
  type Format,
} from "../dlarray/index.js";
import { ArgumentError, BackendError, MemoryError } from "../errors.js";
import { wasm } from "../runtime/backend.js";
import { callCore } from "./core-errors.js";
import { typed, view, type WasmBuffer } from "./wasm-api.js";

/** One WASM buffer and the objects that can still reach its memory (the array, its views). */
interface Allocation {
  buf: WasmBuffer | null;
  holders: number;
  bytes: number;
}

/**
 * What WasmArrays may hold at once: half of wasm32's 4 GiB, so that calls on JS arrays always
 * keep room for their buffers. The bound matters where memory is shared (the threaded builds):
 * V8 does not count a shared memory's growth as pressure, so forgotten arrays may wait for a
 * garbage collection that never comes; past the bound, new ones are refused by name.
 */
const LIVE_BYTES_LIMIT = 2 ** 31;

/** The WasmArrays not yet freed: how many, and their bytes. */
const live = { arrays: 0, bytes: 0 };

/** Frees the buffer now (no-op when freed already); the registry must not free it again. */
function free(a: Allocation): void {
  registry?.unregister(a);
  if (a.buf !== null) {
    live.arrays -= 1;
    live.bytes -= a.bytes;
  }
  a.buf?.free();
  a.buf = null;
}

function release(a: Allocation): void {
  a.holders -= 1;
  if (a.holders === 0) free(a);
}

// A buffer is freed once neither its array nor any view of it handed out can be reached, so a
// view kept after the array is dropped never aliases newer data. The allocation is its own
// unregister token (`dispose`). Runtimes without FinalizationRegistry free only on `dispose`.
const registry =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry(release) : null;

function hold<V extends object>(a: Allocation, target: V): V {
  a.holders += 1;
  registry?.register(target, a, a);
  return target;
}

/** `n` bytes in MiB, for messages. */
function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/** `Symbol.dispose` where the runtime has it (Node 20+, Chrome 134+), else the registered
 * symbol that TypeScript's `using` falls back to. */
const DISPOSE: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ??
  (Symbol.for("Symbol.dispose") as typeof Symbol.dispose);

/** The element type a `dtype` argument names (`"single"` when omitted). */
function checkDtype(dtype: unknown): Dtype {
  if (dtype === undefined || dtype === "single" || dtype === "double") return dtype ?? "single";
  throw new ArgumentError(
    `wasmArray: dtype must be "single" or "double", got ${describeValue(dtype)}`,
  );
}

/**
 * A {@link DlArray} whose elements live in WASM memory (made by {@link wasmArray}). `predict`,
 * `backward`, `dltranspconv` and `dltranspconvBackward` read such inputs and write such `out`
 * arrays in place, without copying between JS and WASM memory.
 *
 * `data` is a view of WASM memory. Read or fill it through `X.data` each time rather than keeping
 * the view: where WASM memory is not shared (the single-threaded builds) a memory growth detaches
 * older views, and `X.data` then makes a fresh one. The memory is freed by {@link WasmArray.dispose},
 * or by the garbage collector once neither the array nor any view of it is reachable.
 *
 * @typeParam T - `Float32Array` ("single") or `Float64Array` ("double").
 */
export class WasmArray<T extends FloatArray = FloatArray> extends DlArray<T> {
  readonly #alloc: Allocation;
  readonly #dtype: Dtype;
  readonly #length: number;
  #view: T;

  /** Use {@link wasmArray}. */
  private constructor(alloc: Allocation, dtype: Dtype, size: readonly number[], format?: string) {
    const buf = alloc.buf;
    if (buf === null) {
      throw new BackendError(
        "TCONV3D_DISPOSED",
        "WasmArray: this array was disposed; its memory is freed",
      );
    }
    const v = view(dtype, buf) as T;
    super(v, size, format);
    this.#alloc = alloc;
    this.#dtype = dtype;
    this.#length = buf.len();
    this.#view = hold(alloc, v);
    hold(alloc, this);
  }

  /** @internal Allocates; frees again when the size or format is rejected. */
  static make(size: unknown, format: unknown, dtype: unknown): WasmArray {
    const dt = checkDtype(dtype);
    const n = checkSize(size, "wasmArray").reduce((p, q) => p * q, 1);
    if (!Number.isSafeInteger(n) || n > 2 ** 32 / (dt === "single" ? 4 : 8)) {
      throw new MemoryError(
        `wasmArray: size ${describeValue(size)} holds ${n} elements; expected at most what 4 GiB of WASM memory holds`,
      );
    }
    const bytes = n * (dt === "single" ? 4 : 8);
    // One array larger than the bound is the core's to allow or refuse: the bound is about
    // arrays that pile up.
    if (bytes <= LIVE_BYTES_LIMIT && live.bytes + bytes > LIVE_BYTES_LIMIT) {
      throw new MemoryError(
        `wasmArray: size ${describeValue(size)} (${mib(bytes)}) would take the WasmArrays alive ` +
          `past ${mib(LIVE_BYTES_LIMIT)}: ${live.arrays} of them hold ${mib(live.bytes)}, not ` +
          "disposed; dispose() the ones no longer needed (or use `using`). Calls on JS arrays " +
          "keep working",
      );
    }
    const { Buffer } = typed(dt);
    const buf = callCore(`wasmArray: size ${describeValue(size)}`, () => new Buffer(n));
    const alloc: Allocation = { buf, holders: 0, bytes };
    live.arrays += 1;
    live.bytes += bytes;
    try {
      return new WasmArray(alloc, dt, size as number[], format as string | undefined);
    } catch (e) {
      free(alloc);
      throw e;
    }
  }

  /** The elements: a view of WASM memory, made afresh when a memory growth detached the last. */
  override get data(): T {
    if (this.#alloc.buf === null) {
      throw new BackendError(
        "TCONV3D_DISPOSED",
        "WasmArray.data: this array was disposed; its memory is freed",
      );
    }
    if (this.#view.length !== this.#length) {
      this.#view = hold(this.#alloc, view(this.#dtype, this.#alloc.buf) as T);
    }
    return this.#view;
  }

  /** The same memory with other labels, e.g. `""` (MATLAB's `stripdims`); no copy. */
  override stripdims(...args: never[]): WasmArray<T> {
    checkNoArguments("stripdims", args);
    return this.relabelled("");
  }

  /**
   * The same memory with the labels `format` (for `dataFormat`); no copy.
   *
   * @internal
   */
  relabelled(format: string): WasmArray<T> {
    return new WasmArray<T>(this.#alloc, this.#dtype, this.size, format);
  }

  /** Whether {@link WasmArray.dispose} has freed this array's memory. */
  get disposed(): boolean {
    return this.#alloc.buf === null;
  }

  /**
   * Frees the WASM memory now. Afterwards `data` and every call taking this array throw; views
   * taken before must not be used (their memory may hold other data). Idempotent.
   */
  dispose(): void {
    free(this.#alloc);
  }

  /** {@link WasmArray.dispose}, for `using X = wasmArray(...)` (explicit resource management). */
  [DISPOSE](): void {
    free(this.#alloc);
  }

  /**
   * The buffer the kernels use in place of a copy.
   *
   * @throws BackendError `"TCONV3D_DISPOSED"` naming `name` when the array was disposed.
   * @internal
   */
  buffer(name: string, where: string): WasmBuffer {
    const b = this.#alloc.buf;
    if (b === null) {
      throw new BackendError(
        "TCONV3D_DISPOSED",
        `${where}: ${name} is a disposed WasmArray; its memory is freed`,
      );
    }
    return b;
  }
}

/**
 * Throws naming `name` when `X` is a disposed {@link WasmArray} (checked before any work).
 *
 * @internal
 */
export function checkLive(X: unknown, name: string, where: string): void {
  if (X instanceof WasmArray) X.buffer(name, where);
}

/**
 * Whether `data` is a view of WASM memory that is not shared: an allocation during a call
 * could grow that memory and detach the view.
 *
 * @internal
 */
export function detachable(data: FloatArray): boolean {
  const shared =
    typeof SharedArrayBuffer === "function" && data.buffer instanceof SharedArrayBuffer;
  return !shared && data.buffer === wasm().memory.buffer;
}

/**
 * `data`, or a JS copy of it when it is {@link detachable}.
 *
 * @internal
 */
export function detachSafe<T extends FloatArray>(data: T): T {
  return detachable(data) ? (data.slice() as T) : data;
}

/**
 * A zero-filled {@link DlArray} in WASM memory: inputs and `out` arrays of this kind are used in
 * place, so a call copies nothing between JS and WASM memory (fill it through `X.data`).
 * Requires a resolved `init()`.
 *
 * @example
 * ```ts
 * const X = wasmArray([32, 32, 32, 128], "SSSCB");
 * X.data.set(input);                            // or compute into it
 * const Y = layer.predict(X, { out: "wasm" });  // a new WasmArray
 * layer.predict(X, { out: Y });                 // later calls reuse it: nothing copied
 * X.dispose(); Y.dispose();                     // or leave them to the garbage collector
 * ```
 *
 * @param size - dimension lengths, as for {@link dlarray}.
 * @param format - dimension labels, as for {@link dlarray} (a literal checked at compile time).
 * @param dtype - `"single"` (default) or `"double"`.
 * @throws ArgumentError / FormatError naming the offending argument; MemoryError when WASM
 *   memory cannot hold it; the runtime's error before `init()`.
 */
export function wasmArray<F extends string = "">(
  size: readonly number[],
  format?: Format<F>,
  dtype?: "single",
): WasmArray<Float32Array>;
export function wasmArray<F extends string = "">(
  size: readonly number[],
  format: Format<F> | undefined,
  dtype: "double",
): WasmArray<Float64Array>;
export function wasmArray<F extends string = "">(
  size: readonly number[],
  format?: Format<F>,
  dtype?: Dtype,
): WasmArray;
export function wasmArray(size: readonly number[], format?: string, dtype?: Dtype): WasmArray {
  return WasmArray.make(size, format, dtype);
}
