/**
 * The worker's half of the async API, whatever the environment (`worker-web.ts` and
 * `worker-node.ts` install a host and hand this the port). It runs the synchronous API on what
 * the client sends and keeps layers, resident arrays (WasmArrays: in WASM memory, read and
 * written in place) and optimizer states under numeric handles until the client releases them.
 *
 * Requests run one at a time in arrival order (only `init` awaits anything), so a call sees every
 * effect of the calls sent before it.
 *
 * @module
 * @internal
 */

import { DlArray, type FloatArray, isFloatArray } from "../dlarray/index.js";
import { ArgumentError, BackendError } from "../errors.js";
import { dltranspconv, dltranspconvBackward } from "../functional/dltranspconv.js";
import { WasmArray, wasmArray } from "../functional/wasm-array.js";
import { learnablesOf, TransposedConv3dLayer } from "../layer/layer.js";
import { parseLayerArgs } from "../layer/options.js";
import { wasm } from "../runtime/backend.js";
import { type InitOptions, init } from "../runtime/loader.js";
import { type AdamState, adamupdate, type SgdmState, sgdmupdate } from "../training/update.js";
import { serializeError } from "./errors.js";
import {
  isPlainObject,
  isTagged,
  type LayerMethod,
  type LayerSnapshot,
  type Reply,
  type Request,
  TAG,
  type WireDlArray,
  type WireLayer,
  type WireRemoteArray,
  type WireState,
} from "./protocol.js";

/** How the worker answers. */
export interface ServerPort {
  post(message: Reply, transfer: ArrayBuffer[]): void;
}

type Resident = TransposedConv3dLayer | WasmArray | AdamState | SgdmState;

/** The properties `setProperties` may change (the layer's own setters validate the values). */
const SETTABLE = new Set([
  "name",
  "weightLearnRateFactor",
  "biasLearnRateFactor",
  "weightL2Factor",
  "biasL2Factor",
  "weightsInitializer",
  "biasInitializer",
]);

/**
 * Starts serving on `port`: returns the function to call with each message's data.
 */
export function serve(port: ServerPort): (data: unknown) => void {
  const objects = new Map<number, Resident>();
  const handles = new WeakMap<object, number>();
  let nextHandle = 1;

  function register(value: Resident): number {
    const known = handles.get(value);
    if (known !== undefined) return known;
    const h = nextHandle++;
    objects.set(h, value);
    handles.set(value, h);
    return h;
  }

  function resident(handle: number): Resident {
    const v = objects.get(handle);
    if (v === undefined) {
      throw new BackendError(
        "TCONV3D_DISPOSED",
        `tconv3d: resident object #${handle} was disposed; its memory in the worker is freed`,
      );
    }
    return v;
  }

  function release(handle: number): void {
    const v = objects.get(handle);
    objects.delete(handle);
    if (v !== undefined) handles.delete(v);
    if (v instanceof WasmArray) v.dispose();
  }

  /** The client's encoding, back to objects: dlarrays, resident objects, URLs. */
  function decode(v: unknown): unknown {
    if (typeof v !== "object" || v === null) return v;
    if (isTagged(v, "dlarray")) {
      const w = v as unknown as WireDlArray;
      return new DlArray(w.data, w.size, w.format);
    }
    if (isTagged(v, "handle")) return resident(v.handle as number);
    if (isTagged(v, "url")) return new URL(v.href as string);
    if (Array.isArray(v)) return v.map(decode);
    if (isPlainObject(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
    }
    return v;
  }

  /** `data` as a typed array over a buffer of its own, whose buffer is then transferred. */
  function owned<T extends FloatArray | Uint8Array>(data: T, transfer: Set<ArrayBuffer>): T {
    const b = data.buffer;
    const whole =
      b instanceof ArrayBuffer &&
      data.byteOffset === 0 &&
      data.byteLength === b.byteLength &&
      !isWasmMemory(b);
    const out = whole ? data : (data.slice() as T);
    transfer.add(out.buffer as ArrayBuffer);
    return out;
  }

  /** A result, for the client: WasmArrays stay resident, everything else goes by value. */
  function exportValue(v: unknown, transfer: Set<ArrayBuffer>): unknown {
    if (v instanceof WasmArray) {
      const out: WireRemoteArray = {
        [TAG]: "remote",
        handle: register(v),
        size: [...v.size],
        format: v.format,
        dtype: v.dtype,
      };
      return out;
    }
    if (v instanceof DlArray) {
      const out: WireDlArray = {
        [TAG]: "dlarray",
        data: owned(v.data, transfer),
        size: [...v.size],
        format: v.format,
      };
      return out;
    }
    if (v instanceof TransposedConv3dLayer) {
      const out: WireLayer = { [TAG]: "layer", handle: register(v), snapshot: snapshot(v) };
      return out;
    }
    if (v instanceof Float32Array || v instanceof Float64Array || v instanceof Uint8Array) {
      return owned(v, transfer);
    }
    if (Array.isArray(v)) return v.map((x) => exportValue(x, transfer));
    if (isPlainObject(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, exportValue(x, transfer)]));
    }
    return v;
  }

  function layerAt(handle: number): TransposedConv3dLayer {
    const v = resident(handle);
    if (!(v instanceof TransposedConv3dLayer)) {
      throw new BackendError(
        "TCONV3D_WORKER",
        `tconv3d: resident object #${handle} is not a layer`,
      );
    }
    return v;
  }

  function call(layer: TransposedConv3dLayer, method: LayerMethod, args: unknown[]): unknown {
    // The layer's methods check their arguments at run time, as for any JavaScript caller.
    const a = args as [never, never, never];
    switch (method) {
      case "predict":
        return layer.predict(a[0], a[1]);
      case "backward":
        return layer.backward(a[0], a[1], a[2]);
      case "initialize":
        layer.initialize(a[0]);
        return undefined;
      case "getWeights":
        return layer.weights;
      case "getBias":
        return layer.bias;
      case "setWeights":
        layer.weights = a[0];
        return undefined;
      case "setBias":
        layer.bias = a[0];
        return undefined;
      case "setProperties": {
        const props = args[0];
        if (!isPlainObject(props)) {
          throw new ArgumentError(
            `transposedConv3dLayer.setProperties: expected an object of properties, got ${typeof props}`,
          );
        }
        for (const k of Object.keys(props)) {
          if (!SETTABLE.has(k)) {
            throw new ArgumentError(
              `transposedConv3dLayer.setProperties: "${k}" is not a settable property; expected ${[...SETTABLE].join(", ")}`,
            );
          }
        }
        // All or nothing: the setters validate one value at a time, so a bad value restores
        // the ones set before it.
        const before = Object.fromEntries([...SETTABLE].map((k) => [k, Reflect.get(layer, k)]));
        try {
          for (const [k, v] of Object.entries(props)) Reflect.set(layer, k, v);
        } catch (error) {
          for (const [k, v] of Object.entries(before)) Reflect.set(layer, k, v);
          throw error;
        }
        return undefined;
      }
      case "loadWeights":
        layer.loadWeights(a[0], a[1]);
        return undefined;
      case "saveWeights":
        return layer.saveWeights(a[0], a[1]);
      case "toString":
        return layer.toString();
    }
  }

  async function run(req: Exclude<Request, { op: "release" }>): Promise<unknown> {
    switch (req.op) {
      case "init":
        return init(decode(req.options) as InitOptions);
      case "layer": {
        // The arguments were typed on the caller's side; parsing checks them again.
        const [filterSize, numFilters, ...rest] = decode(req.args) as [never, never, ...unknown[]];
        return new TransposedConv3dLayer(parseLayerArgs(filterSize, numFilters, ...rest));
      }
      case "call":
        return call(layerAt(req.target), req.method, decode(req.args) as unknown[]);
      case "function": {
        const a = decode(req.args) as [never, never, never, never];
        return req.name === "dltranspconv"
          ? dltranspconv(a[0], a[1], a[2], a[3])
          : dltranspconvBackward(a[0], a[1], a[2], a[3]);
      }
      case "upload": {
        const X = decode(req.array) as DlArray;
        const W = wasmArray(X.size, X.format, X.dtype);
        W.data.set(X.data);
        return W;
      }
      case "download": {
        // Copies in JS memory, transferred (the resident object stays as it is).
        const v = resident(req.target);
        if (v instanceof WasmArray) return new DlArray(v.data.slice(), v.size, v.format);
        if (v instanceof TransposedConv3dLayer) {
          throw new BackendError(
            "TCONV3D_WORKER",
            `tconv3d: resident object #${req.target} is a layer`,
          );
        }
        return Object.fromEntries(
          Object.entries(v).map(([k, x]) => [k, isFloatArray(x) ? x.slice() : x]),
        );
      }
      case "optimizer":
        return optimizer(req.name, req.args);
    }
  }

  /** One optimizer step; a resident state passed in is replaced by the new one (same handle). */
  function optimizer(name: "adamupdate" | "sgdmupdate", args: readonly unknown[]): WireState {
    const [layer, grads, state, opts] = decode(args) as [never, never, never, never];
    const next: AdamState | SgdmState =
      name === "adamupdate"
        ? adamupdate(layer, grads, state, opts)
        : sgdmupdate(layer, grads, state, opts);
    const given = args[2];
    let handle: number;
    if (isTagged(given, "handle")) {
      handle = given.handle as number;
      handles.delete(objects.get(handle) as object);
      objects.set(handle, next);
      handles.set(next, handle);
    } else {
      handle = register(next);
    }
    return {
      [TAG]: "state",
      handle,
      optimizer: next.optimizer,
      iteration: next.optimizer === "adam" ? next.iteration : 0,
    };
  }

  async function handle(data: unknown): Promise<void> {
    if (typeof data !== "object" || data === null) return;
    const req = data as Request;
    if (req.op === "release") {
      for (const h of req.handles) release(h);
      return;
    }
    const transfer = new Set<ArrayBuffer>();
    let reply: Reply;
    try {
      const value = exportValue(await run(req), transfer);
      const layer = req.op === "call" ? snapshot(layerAt(req.target)) : undefined;
      reply = { id: req.id, ok: true, value, ...(layer === undefined ? {} : { layer }) };
    } catch (error) {
      reply = { id: req.id, ok: false, error: serializeError(error) };
      transfer.clear();
    }
    try {
      port.post(reply, [...transfer]);
    } catch (error) {
      // A result structured clone refuses: say so rather than leave the call pending.
      port.post({ id: req.id, ok: false, error: serializeError(error) }, []);
    }
  }

  let queue: Promise<void> = Promise.resolve();
  return (data: unknown) => {
    queue = queue.then(() => handle(data));
  };
}

/** Whether `b` is the (non-shared) WASM memory, which must never be transferred. */
function isWasmMemory(b: ArrayBuffer): boolean {
  try {
    return b === wasm().memory.buffer;
  } catch {
    return false; // not initialized: no memory yet
  }
}

/** The layer's properties, for the client's copy. */
function snapshot(layer: TransposedConv3dLayer): LayerSnapshot {
  const named = (v: unknown) => (typeof v === "string" ? v : "function");
  const own = learnablesOf(layer);
  return {
    name: layer.name,
    filterSize: [...layer.filterSize],
    numFilters: layer.numFilters,
    numChannels: layer.numChannels,
    stride: [...layer.stride],
    dilationFactor: [...layer.dilationFactor],
    numGroups: layer.numGroups,
    outputPadding: [...layer.outputPadding],
    croppingMode: layer.croppingMode,
    croppingSize: layer.croppingSize,
    weightLearnRateFactor: layer.weightLearnRateFactor,
    biasLearnRateFactor: layer.biasLearnRateFactor,
    weightL2Factor: layer.weightL2Factor,
    biasL2Factor: layer.biasL2Factor,
    weightsInitializer: named(layer.weightsInitializer),
    biasInitializer: named(layer.biasInitializer),
    // The layer's own learnables (its getters would copy them).
    initialized: own.weights !== null && own.bias !== null,
  };
}
