/**
 * An independent forward oracle: ONNX Runtime's (onnxruntime-node, CPU) `ConvTranspose`.
 *
 * Builds a one-node ONNX model (opset 17) in memory - the protobuf is written by the small
 * encoder below, no protobuf library involved - and runs it. Tensors are row-major, in ONNX's own
 * layouts: `x` is `[N, C, D, H, W]`, `w` is `[Cin, Cout/group, kD, kH, kW]`.
 *
 * Relation to this package (see docs/semantics.md): MATLAB's cropping is ONNX's `pads` (crops at the
 * begin and end of each axis); a column-major `"SSSCB"` array of size `[W, H, D, C, N]` is the
 * same memory as `x`; MATLAB weights `[kW kH kD Cout/g Cin]` (column-major, first spatial axis =
 * W) are the same memory as `w`.
 *
 * @module
 */

import * as ort from "onnxruntime-node";

/** Float element storage accepted by the oracle. */
export type OracleArray = Float32Array | Float64Array;

/** Arguments of {@link onnxConvTranspose}. */
export interface OnnxConvTransposeArgs<T extends OracleArray = OracleArray> {
  /** Input, row-major `[N, C, D, H, W]`. Its type selects float or double. */
  x: T;
  /** `[N, C, D, H, W]`. */
  xShape: readonly [number, number, number, number, number];
  /** Weights, row-major `[C, Cout/group, kD, kH, kW]`; same element type as `x`. */
  w: T;
  /** `[C, Cout/group, kD, kH, kW]`. */
  wShape: readonly [number, number, number, number, number];
  /** Optional bias, `Cout` values; same element type as `x`. */
  b?: T;
  /** `[sD, sH, sW]`; default ones. */
  strides?: readonly [number, number, number];
  /** ONNX order: `[beginD, beginH, beginW, endD, endH, endW]`; default zeros. */
  pads?: readonly [number, number, number, number, number, number];
  /** `[dD, dH, dW]`; default ones. */
  dilations?: readonly [number, number, number];
  /** Default 1. */
  group?: number;
  /** Extra samples at the end of each axis, `[oD, oH, oW]`; default zeros. */
  outputPadding?: readonly [number, number, number];
}

// ---------------------------------------------------------------------------------------------
// A minimal protobuf writer (proto2 wire format: varints and length-delimited fields only).

class Pb {
  private readonly out: number[] = [];

  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`protobuf: varint must be a nonnegative safe integer, got ${value}`);
    }
    let v = value;
    while (v >= 0x80) {
      this.out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.out.push(v);
  }

  private tag(field: number, wire: 0 | 2): void {
    this.varint(field * 8 + wire);
  }

  /** An int32/int64/enum field. */
  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  /** Repeated int64, unpacked (one tag per element: what proto2 writers emit). */
  ints(field: number, values: readonly number[]): this {
    for (const v of values) this.int(field, v);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.varint(data.length);
    for (let i = 0; i < data.length; i++) this.out.push(data[i] as number);
    return this;
  }

  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

// onnx.proto field numbers and enums.
const ELEM_FLOAT = 1;
const ELEM_DOUBLE = 11;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function attrInt(name: string, i: number): Pb {
  return new Pb().str(1, name).int(3, i).int(20, ATTR_INT);
}

function attrInts(name: string, ints: readonly number[]): Pb {
  return new Pb().str(1, name).ints(8, ints).int(20, ATTR_INTS);
}

function tensor(name: string, data: OracleArray, dims: readonly number[]): Pb {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return new Pb()
    .ints(1, dims)
    .int(2, data instanceof Float64Array ? ELEM_DOUBLE : ELEM_FLOAT)
    .str(8, name)
    .bytes(9, raw);
}

function valueInfo(name: string, elemType: number, dims?: readonly number[]): Pb {
  const tt = new Pb().int(1, elemType);
  if (dims) {
    const shape = new Pb();
    for (const d of dims) shape.msg(1, new Pb().int(1, d));
    tt.msg(2, shape);
  }
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tt));
}

/**
 * The bytes of a one-node ONNX model computing `y = ConvTranspose(x, W[, B])` with `W` and `B`
 * stored as initializers.
 *
 * @param args - as for {@link onnxConvTranspose}.
 * @returns a serialized `ModelProto` (IR version 8, opset 17).
 */
export function convTransposeModel(args: OnnxConvTransposeArgs): Uint8Array {
  const elem = args.x instanceof Float64Array ? ELEM_DOUBLE : ELEM_FLOAT;
  const inputs = ["x", "W"];
  if (args.b) inputs.push("B");
  const kernel = args.wShape.slice(2);
  const node = new Pb();
  for (const i of inputs) node.str(1, i);
  node
    .str(2, "y")
    .str(3, "convT")
    .str(4, "ConvTranspose")
    .msg(5, attrInts("kernel_shape", kernel))
    .msg(5, attrInts("strides", args.strides ?? [1, 1, 1]))
    .msg(5, attrInts("pads", args.pads ?? [0, 0, 0, 0, 0, 0]))
    .msg(5, attrInts("dilations", args.dilations ?? [1, 1, 1]))
    .msg(5, attrInt("group", args.group ?? 1));
  if (args.outputPadding) node.msg(5, attrInts("output_padding", args.outputPadding));

  const graph = new Pb().msg(1, node).str(2, "tconv3d_oracle");
  graph.msg(5, tensor("W", args.w, args.wShape));
  if (args.b) graph.msg(5, tensor("B", args.b, [args.b.length]));
  graph.msg(11, valueInfo("x", elem, args.xShape));
  graph.msg(12, valueInfo("y", elem));

  return new Pb()
    .int(1, 8) // ir_version
    .str(2, "tconv3d-test-oracle")
    .msg(7, graph)
    .msg(8, new Pb().str(1, "").int(2, 17)) // opset_import: default domain, version 17
    .finish();
}

function check(args: OnnxConvTransposeArgs): void {
  const ctor = args.x.constructor;
  const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  if (args.xShape.length !== 5 || args.x.length !== prod(args.xShape)) {
    throw new RangeError(
      `onnxConvTranspose: x has ${args.x.length} values, xShape [${args.xShape}] needs ${prod(args.xShape)}`,
    );
  }
  if (args.wShape.length !== 5 || args.w.length !== prod(args.wShape)) {
    throw new RangeError(
      `onnxConvTranspose: w has ${args.w.length} values, wShape [${args.wShape}] needs ${prod(args.wShape)}`,
    );
  }
  if (args.w.constructor !== ctor || (args.b && args.b.constructor !== ctor)) {
    throw new TypeError("onnxConvTranspose: x, w and b must have the same element type");
  }
}

/**
 * Runs ONNX Runtime's `ConvTranspose` on row-major `NCDHW` data.
 *
 * Output length per axis: `s*(n-1) + outputPadding + d*(k-1) + 1 - padBegin - padEnd`.
 *
 * Float32 only in practice: onnxruntime-node 1.30's CPU provider has no double `ConvTranspose`
 * kernel; `Float64Array` inputs reject with a `TypeError` saying so.
 *
 * @param args - input, weights, optional bias and attributes (ONNX conventions).
 * @returns the row-major output `[N, Cout, D', H', W']` with the input's element type.
 */
export async function onnxConvTranspose<T extends OracleArray>(
  args: OnnxConvTransposeArgs<T>,
): Promise<{ data: T; shape: number[] }> {
  check(args);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(convTransposeModel(args), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "disabled",
    });
  } catch (e) {
    if (args.x instanceof Float64Array) {
      // onnxruntime-node 1.30's CPU provider registers ConvTranspose for float only.
      throw new TypeError(
        "onnxConvTranspose: ONNX Runtime (CPU) has no double-precision ConvTranspose; use " +
          `Float32Array inputs or an f64 reference (${(e as Error).message})`,
      );
    }
    throw e;
  }
  try {
    const type = args.x instanceof Float64Array ? "float64" : "float32";
    const x = new ort.Tensor(type, args.x, [...args.xShape]);
    const { y } = await session.run({ x });
    if (!y) throw new Error("onnxConvTranspose: the session returned no output y");
    return { data: y.data as T, shape: [...y.dims] };
  } finally {
    await session.release();
  }
}
