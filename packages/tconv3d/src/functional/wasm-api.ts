/**
 * The compute exports of the WASM core (`crates/tconv3d-wasm/src/compute.rs`) as this package
 * calls them, and the typed-array plumbing between JS memory and WASM memory.
 *
 * @module
 * @internal
 */

import type { Dtype, FloatArray } from "../dlarray/index.js";
import { wasm } from "../runtime/backend.js";

/** A buffer owned by the WASM side (`BufferF32` / `BufferF64`). */
export interface WasmBuffer {
  ptr(): number;
  len(): number;
  free(): void;
}

/** A validated geometry (`Conv`). */
export interface WasmConv {
  outputSize(): Uint32Array;
  cropBegin(): Int32Array;
  cropEnd(): Int32Array;
  flops(): number;
  free(): void;
}

/** Packed forward weights (`ForwardF32` / `ForwardF64`). */
export interface WasmForward {
  /** `[n, s0, s1, s2, c, origin]` strides of the input layout the plan runs fastest on. */
  inputStrides(): Uint32Array;
  /** Elements of a buffer in that layout (with any slack read past the input). */
  inputLen(): number;
  run(x: WasmBuffer, xStrides: Uint32Array, y: WasmBuffer, yStrides: Uint32Array): void;
  free(): void;
}

/** Packed input-gradient weights (`BackwardDataF32` / `BackwardDataF64`). */
export interface WasmBackwardData {
  run(dy: WasmBuffer, yStrides: Uint32Array, dx: WasmBuffer, xStrides: Uint32Array): void;
  free(): void;
}

/** The constructors and functions of one element type. */
export interface TypedExports {
  Buffer: new (len: number) => WasmBuffer;
  Forward: new (conv: WasmConv, weights: FloatArray, bias: FloatArray) => WasmForward;
  BackwardData: new (conv: WasmConv, weights: FloatArray) => WasmBackwardData;
  backwardWeights(
    conv: WasmConv,
    x: WasmBuffer,
    xStrides: Uint32Array,
    dy: WasmBuffer,
    yStrides: Uint32Array,
    dw: WasmBuffer,
  ): void;
  backwardBias(conv: WasmConv, dy: WasmBuffer, yStrides: Uint32Array, db: WasmBuffer): void;
  /** Copies a tensor of extents `[n, s0, s1, s2, c]` between two layouts, in parallel. */
  reorder(
    src: WasmBuffer,
    srcStrides: Uint32Array,
    dst: WasmBuffer,
    dstStrides: Uint32Array,
    extents: Uint32Array,
  ): void;
}

/** The part of the wasm-bindgen glue this package's compute path uses. */
export interface ComputeGlue {
  Conv: new (
    batch: number,
    channels: number,
    filters: number,
    groups: number,
    input: Uint32Array,
    kernel: Uint32Array,
    stride: Uint32Array,
    dilation: Uint32Array,
    cropBegin: Int32Array,
    cropEnd: Int32Array,
    same: boolean,
  ) => WasmConv;
  BufferF32: TypedExports["Buffer"];
  BufferF64: TypedExports["Buffer"];
  ForwardF32: TypedExports["Forward"];
  ForwardF64: TypedExports["Forward"];
  BackwardDataF32: TypedExports["BackwardData"];
  BackwardDataF64: TypedExports["BackwardData"];
  backward_weights_f32: TypedExports["backwardWeights"];
  backward_weights_f64: TypedExports["backwardWeights"];
  backward_bias_f32: TypedExports["backwardBias"];
  backward_bias_f64: TypedExports["backwardBias"];
  reorder_f32: TypedExports["reorder"];
  reorder_f64: TypedExports["reorder"];
}

/** The loaded glue; throws a clear error before `init()`. */
export function glue(): ComputeGlue {
  return wasm().exports as unknown as ComputeGlue;
}

/** The exports of one element type. */
export function typed(dtype: Dtype): TypedExports {
  const g = glue();
  return dtype === "single"
    ? {
        Buffer: g.BufferF32,
        Forward: g.ForwardF32,
        BackwardData: g.BackwardDataF32,
        backwardWeights: g.backward_weights_f32,
        backwardBias: g.backward_bias_f32,
        reorder: g.reorder_f32,
      }
    : {
        Buffer: g.BufferF64,
        Forward: g.ForwardF64,
        BackwardData: g.BackwardDataF64,
        backwardWeights: g.backward_weights_f64,
        backwardBias: g.backward_bias_f64,
        reorder: g.reorder_f64,
      };
}

/**
 * A typed-array view of a WASM buffer. Made fresh for each access: memory growth replaces
 * `memory.buffer`, which leaves older views stale (the runtime refreshes shared memories).
 */
export function view(dtype: Dtype, buf: WasmBuffer): FloatArray {
  const w = wasm();
  return dtype === "single" ? w.f32(buf.ptr(), buf.len()) : w.f64(buf.ptr(), buf.len());
}
