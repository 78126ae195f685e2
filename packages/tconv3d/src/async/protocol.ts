/**
 * The messages between the async API ({@link initWorker}'s client) and its worker
 * (`server.ts`). A small typed protocol rather than comlink: the worker keeps tensors, layers
 * and optimizer states resident under numeric handles (comlink would need a MessageChannel per
 * proxied object), the transfer lists are explicit (copy by default, transfer on request, outputs
 * always transferred), errors come back as the package's own classes, and the worker's graph
 * stays free of dependencies so that a bundler can emit it as one single-file worker.
 *
 * Values cross as structured clones. What structured clone cannot carry is tagged with
 * {@link TAG}: a dlarray (its data is a private field), a reference to a resident object, a URL.
 *
 * @module
 * @internal
 */

import type { Dtype, FloatArray } from "../dlarray/index.js";

/** The key that marks a tagged value (an object no caller would build by accident). */
export const TAG = "__tconv3d";

/** A dlarray by value: its data (cloned or transferred), size and labels. */
export interface WireDlArray {
  readonly [TAG]: "dlarray";
  readonly data: FloatArray;
  readonly size: readonly number[];
  readonly format: string;
}

/** Client → worker: the resident object (layer, array, optimizer state) under `handle`. */
export interface WireHandle {
  readonly [TAG]: "handle";
  readonly handle: number;
}

/** Worker → client: a resident array, its handle and what the client shows of it. */
export interface WireRemoteArray {
  readonly [TAG]: "remote";
  readonly handle: number;
  readonly size: readonly number[];
  readonly format: string;
  readonly dtype: Dtype;
}

/** Worker → client: a resident optimizer state. */
export interface WireState {
  readonly [TAG]: "state";
  readonly handle: number;
  readonly optimizer: "adam" | "sgdm";
  /** Adam's step count `t`; `0` for SGDM. */
  readonly iteration: number;
}

/** A `URL` (which structured clone refuses) by its `href`. */
export interface WireUrl {
  readonly [TAG]: "url";
  readonly href: string;
}

/** Worker → client: a resident layer, with its properties. */
export interface WireLayer {
  readonly [TAG]: "layer";
  readonly handle: number;
  readonly snapshot: LayerSnapshot;
}

/** The properties of a layer, sent after every call on it (some change: `numChannels`). */
export interface LayerSnapshot {
  readonly name: string;
  readonly filterSize: readonly [number, number, number];
  readonly numFilters: number;
  readonly numChannels: number | "auto";
  readonly stride: readonly [number, number, number];
  readonly dilationFactor: readonly [number, number, number];
  readonly numGroups: number;
  readonly outputPadding: readonly [number, number, number];
  readonly croppingMode: "same" | "manual";
  readonly croppingSize: readonly [
    readonly [number, number, number],
    readonly [number, number, number],
  ];
  readonly weightLearnRateFactor: number;
  readonly biasLearnRateFactor: number;
  readonly weightL2Factor: number;
  readonly biasL2Factor: number;
  /** A built-in name (functions cannot reach the worker). */
  readonly weightsInitializer: string;
  readonly biasInitializer: string;
  /** Whether the weights and bias exist (initialized or given). */
  readonly initialized: boolean;
}

/** The layer methods the worker runs (`call` requests). */
export type LayerMethod =
  | "predict"
  | "backward"
  | "initialize"
  | "getWeights"
  | "getBias"
  | "setWeights"
  | "setBias"
  | "setProperties"
  | "loadWeights"
  | "saveWeights"
  | "toString";

/** Client → worker. Every request but `release` gets exactly one {@link Reply} with its `id`. */
export type Request =
  | { readonly id: number; readonly op: "init"; readonly options: unknown }
  | { readonly id: number; readonly op: "layer"; readonly args: readonly unknown[] }
  | {
      readonly id: number;
      readonly op: "call";
      readonly target: number;
      readonly method: LayerMethod;
      readonly args: readonly unknown[];
    }
  | {
      readonly id: number;
      readonly op: "function";
      readonly name: "dltranspconv" | "dltranspconvBackward";
      readonly args: readonly unknown[];
    }
  | { readonly id: number; readonly op: "upload"; readonly array: WireDlArray }
  | { readonly id: number; readonly op: "download"; readonly target: number }
  | {
      readonly id: number;
      readonly op: "optimizer";
      readonly name: "adamupdate" | "sgdmupdate";
      readonly args: readonly unknown[];
    }
  | { readonly op: "release"; readonly handles: readonly number[] };

/** Distributes `Omit` over a union (the plain `Omit` would merge its members). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A request before the client numbers it. */
export type RequestBody = DistributiveOmit<Exclude<Request, { op: "release" }>, "id">;

/** An error by value: enough to rebuild the same class, `code` and message on the other side. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
}

/** Worker → client: the outcome of request `id`; `layer` after a call on a layer. */
export type Reply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly value: unknown;
      readonly layer?: LayerSnapshot;
    }
  | { readonly id: number; readonly ok: false; readonly error: WireError };

/** Whether `v` is a tagged value of kind `kind`. */
export function isTagged<K extends string>(
  v: unknown,
  kind: K,
): v is { readonly [TAG]: K } & Record<string, unknown> {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[TAG] === kind;
}

/** Whether `v` is an object literal (or made by `Object.create(null)`), whose keys to walk. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Whether a reply is well formed (anything else posted to the port is ignored). */
export function isReply(data: unknown): data is Reply {
  return (
    typeof data === "object" &&
    data !== null &&
    typeof (data as { id?: unknown }).id === "number" &&
    typeof (data as { ok?: unknown }).ok === "boolean"
  );
}
