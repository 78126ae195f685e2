/**
 * The compute exports of the WASM core (`crates/tconv3d-wasm/src/compute.rs`) as this package
 * calls them, typed from the generated bindings (`wasm/simd/tconv3d_wasm.d.ts`, see
 * {@link WasmBindings}), and the typed-array plumbing between JS memory and WASM memory.
 *
 * @module
 * @internal
 */

import type { Dtype, FloatArray } from "../dlarray/index.js";
import { type WasmBindings, wasm } from "../runtime/backend.js";

/** A buffer owned by the WASM side (`BufferF32` / `BufferF64`). */
export type WasmBuffer =
  | InstanceType<WasmBindings["BufferF32"]>
  | InstanceType<WasmBindings["BufferF64"]>;

/** Weights packed once for one set of hyperparameters (`OperatorF32` / `OperatorF64`). */
export type WasmOperator =
  | InstanceType<WasmBindings["OperatorF32"]>
  | InstanceType<WasmBindings["OperatorF64"]>;

/** One input size of an operator (`PlanF32` / `PlanF64`). */
export type WasmPlan = ReturnType<WasmOperator["reshape"]>;

/** The loaded glue; throws a clear error before `init()`. */
export function glue(): WasmBindings {
  return wasm().exports;
}

/** The exports of one element type that do not take its arrays. */
export interface TypedExports {
  readonly Buffer: new (len: number) => WasmBuffer;
  /** Copies a tensor of extents `[n, s0, s1, s2, c]` between two layouts, in parallel. */
  readonly reorder: WasmBindings["reorder_f32"];
}

/** The exports of one element type. */
export function typed(dtype: Dtype): TypedExports {
  const g = glue();
  return dtype === "single"
    ? { Buffer: g.BufferF32, reorder: g.reorder_f32 }
    : { Buffer: g.BufferF64, reorder: g.reorder_f64 };
}

/**
 * A typed-array view of a WASM buffer. Made fresh for each access: memory growth replaces
 * `memory.buffer`, which leaves older views stale (the runtime refreshes shared memories).
 */
export function view(dtype: Dtype, buf: WasmBuffer): FloatArray {
  return viewAt(dtype, buf.ptr(), buf.len());
}

/** {@link view} from a buffer's address and length known already (no call into WASM). */
export function viewAt(dtype: Dtype, ptr: number, len: number): FloatArray {
  const w = wasm();
  return dtype === "single" ? w.f32(ptr, len) : w.f64(ptr, len);
}
