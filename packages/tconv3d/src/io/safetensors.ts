/**
 * Reading and writing `.safetensors` files (the format of Hugging Face's `safetensors`, used by
 * PyTorch users to ship weights), with no dependency.
 *
 * ## The format
 * 1. 8 bytes: `N`, an unsigned little-endian 64-bit integer, the length of the header;
 * 2. `N` bytes: a UTF-8 JSON object (it must start with `{`; trailing spaces are padding):
 *    `{ "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ...,
 *    "__metadata__": { "key": "value" } }` (metadata optional, string values only);
 * 3. the data buffer: each tensor's elements row-major (C order), little-endian, at
 *    `[begin, end)` relative to the start of the buffer.
 *
 * The reader checks what the reference implementation checks, and says which rule a file
 * breaks: the header length fits the file (and at most 100 MB), the header is UTF-8 JSON
 * starting with `{`, every entry has a known `dtype`, a `shape` of nonnegative integers and
 * `data_offsets` `[begin, end]` with `end - begin` equal to the size the dtype and shape need, the
 * tensors tile the data buffer exactly (no overlap, no hole, nothing past the end, nothing left
 * over).
 *
 * ## Values
 * `F32` and `F64` tensors come back as `Float32Array` / `Float64Array` **views into the file's
 * bytes** (zero copy) when their offset is aligned for the element type (files written by the
 * reference writer, and by {@link saveSafetensors}, always are) and the host is little-endian;
 * otherwise as copies. `F16` and `BF16` tensors are converted to `Float32Array` (exactly: every
 * half and bfloat16 value is a float32 value). Tensors of other dtypes (integers, `BOOL`, 8-bit
 * floats) are accepted, with `data: null`; their raw bytes are in `bytes`.
 *
 * @module
 */

import { describeValue } from "../dlarray/describe.js";
import { isFloatArray } from "../dlarray/dlarray.js";
import { ArgumentError, FileFormatError, SizeError } from "../errors.js";

/** The element types of the safetensors format (bytes per element in {@link DTYPE_BYTES}). */
export type SafetensorsDtype =
  | "BOOL"
  | "U8"
  | "I8"
  | "F8_E5M2"
  | "F8_E4M3"
  | "F8_E8M0"
  | "I16"
  | "U16"
  | "F16"
  | "BF16"
  | "I32"
  | "U32"
  | "F32"
  | "F64"
  | "I64"
  | "U64"
  | "C64";

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = Object.freeze({
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
  C64: 8,
});

/** One tensor of a safetensors file, as {@link loadSafetensors} returns it. */
export interface SafetensorsTensor {
  /** The element type as stored in the file. */
  readonly dtype: SafetensorsDtype;
  /** The shape, row-major (PyTorch's order), e.g. `[Cin, Cout, kD, kH, kW]`. */
  readonly shape: readonly number[];
  /**
   * The values, row-major: `F32`/`F64` as stored (a view into the file when aligned), `F16` and
   * `BF16` converted to `Float32Array`; `null` for other dtypes.
   */
  readonly data: Float32Array | Float64Array | null;
  /** The tensor's raw little-endian bytes: a view into the file, never a copy. */
  readonly bytes: Uint8Array;
}

/** A parsed file: its tensors, in the order of their data, and its `__metadata__`. */
export interface SafetensorsFile {
  /** The tensors by name, in the order of their data in the file. */
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  /** The `__metadata__` entries, or `{}` when the file has none. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** A tensor to write with {@link saveSafetensors}. */
export interface SafetensorsInput {
  /** The values, row-major for `shape`. */
  readonly data: Float32Array | Float64Array;
  /** The shape, row-major (PyTorch's order). `prod(shape)` must equal `data.length`. */
  readonly shape: readonly number[];
  /**
   * The stored type: `"F32"` for a `Float32Array`, `"F64"` for a `Float64Array` by default;
   * `"F16"` / `"BF16"` round each value to nearest, ties to even (overflow gives ±Inf).
   */
  readonly dtype?: "F32" | "F64" | "F16" | "BF16";
}

/** The reference implementation's limit on the header length. */
const MAX_HEADER = 100_000_000;
const WHERE = "loadSafetensors";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A file that breaks the format: the rule, and the tensor, in the message. */
function fail(where: string, msg: string): never {
  throw new FileFormatError(`${where}: ${msg}`);
}

function argumentError(where: string, msg: string): never {
  throw new ArgumentError(`${where}: ${msg}`);
}

/**
 * The class of a malformed safetensors file: {@link FileFormatError} (code `"TCONV3D_FILE"`),
 * under this name for the code written before the package had one error hierarchy
 * (`instanceof SafetensorsError` still holds).
 *
 * @deprecated Use {@link FileFormatError}.
 */
export const SafetensorsError = FileFormatError;
/** @deprecated Use {@link FileFormatError}. */
export type SafetensorsError = FileFormatError;

function asBytes(value: unknown, where: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  throw new ArgumentError(
    `${where}: bytes must be a Uint8Array, ArrayBuffer or ArrayBufferView, got ${describeValue(value)}`,
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Half precision (IEEE binary16) bits to a number. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function roundTiesEven(q: number): number {
  const m = Math.floor(q);
  const r = q - m;
  return r > 0.5 || (r === 0.5 && m % 2 === 1) ? m + 1 : m;
}

/** A number to half precision bits, rounding to nearest, ties to even (±Inf past 65504). */
export function numberToHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65520 is halfway to 2^16 and rounds up (to even)
  if (a < 2 ** -14) return sign | roundTiesEven(a / 2 ** -24); // subnormal (1024: the smallest normal)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundTiesEven(a / 2 ** (e - 10)); // in [1024, 2048]
  if (m === 2048) {
    m = 1024;
    e++;
  }
  return sign | ((e + 15) << 10) | (m - 1024);
}

/** bfloat16 bits to a number. */
export function bf16ToNumber(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0] as number;
}

/** A number to bfloat16 bits (via float32), rounding to nearest, ties to even. */
export function numberToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  if (Number.isNaN(f32[0])) return ((bits >>> 16) | 0x40) & 0xffff;
  const lsb = (bits >>> 16) & 1;
  return ((bits + 0x7fff + lsb) >>> 16) & 0xffff;
}

function decode(
  dtype: SafetensorsDtype,
  bytes: Uint8Array,
  count: number,
): Float32Array | Float64Array | null {
  if (dtype !== "F32" && dtype !== "F64" && dtype !== "F16" && dtype !== "BF16") return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "F32" || dtype === "F64") {
    const size = dtype === "F32" ? 4 : 8;
    const Ctor = dtype === "F32" ? Float32Array : Float64Array;
    if (LITTLE_ENDIAN && bytes.byteOffset % size === 0) {
      return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, count);
    }
    const out = new Ctor(count);
    for (let i = 0; i < count; i++) {
      out[i] = size === 4 ? dv.getFloat32(4 * i, true) : dv.getFloat64(8 * i, true);
    }
    return out;
  }
  const out = new Float32Array(count);
  const conv = dtype === "F16" ? halfToNumber : bf16ToNumber;
  for (let i = 0; i < count; i++) out[i] = conv(dv.getUint16(2 * i, true));
  return out;
}

/**
 * Parses a safetensors file: its tensors and its `__metadata__`.
 *
 * @param bytes - the whole file.
 * @returns the tensors (in the order of their data) and the metadata.
 * @throws ArgumentError when `bytes` is not binary data; {@link FileFormatError} naming the
 *   broken rule (and the tensor) for a malformed file.
 */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsFile {
  const where = WHERE;
  const file = asBytes(bytes, where);
  if (file.length < 8) {
    fail(
      where,
      `the file has ${file.length} bytes; a safetensors file starts with an 8-byte header length`,
    );
  }
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const n64 = dv.getBigUint64(0, true);
  const rest = file.length - 8;
  if (n64 > BigInt(rest)) {
    fail(
      where,
      `the header length is ${n64} bytes but only ${rest} bytes follow the 8-byte length ` +
        "(a truncated file, or not a safetensors file)",
    );
  }
  const n = Number(n64);
  if (n > MAX_HEADER) {
    fail(where, `the header length is ${n} bytes; expected at most ${MAX_HEADER}`);
  }
  if (n < 2) fail(where, `the header length is ${n} bytes; expected a JSON object (at least "{}")`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      file.subarray(8, 8 + n),
    );
  } catch {
    fail(where, "the header is not valid UTF-8");
  }
  if (text[0] !== "{") {
    fail(where, `the header must start with "{", got ${describeValue(text.slice(0, 16))}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(where, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) fail(where, "the header must be a JSON object");

  const metadata: Record<string, string> = {};
  const meta = header.__metadata__;
  if (meta !== undefined) {
    if (!isPlainObject(meta)) {
      fail(where, `__metadata__ must be an object of strings, got ${describeValue(meta)}`);
    }
    for (const [k, v] of Object.entries(meta)) {
      if (typeof v !== "string") {
        fail(where, `__metadata__ entry "${k}" must be a string, got ${describeValue(v)}`);
      }
      metadata[k] = v;
    }
  }

  const dataStart = 8 + n;
  const bufferLen = file.length - dataStart;
  interface Entry {
    name: string;
    dtype: SafetensorsDtype;
    shape: number[];
    begin: number;
    end: number;
    count: number;
  }
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const t = `tensor "${name}"`;
    if (!isPlainObject(info)) {
      fail(where, `${t}: expected { dtype, shape, data_offsets }, got ${describeValue(info)}`);
    }
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
      fail(
        where,
        `${t}: unsupported dtype ${describeValue(dtype)}; expected one of ${Object.keys(DTYPE_BYTES).join(", ")}`,
      );
    }
    if (!Array.isArray(shape) || shape.some((s) => !Number.isSafeInteger(s) || s < 0)) {
      fail(
        where,
        `${t}: shape must be an array of nonnegative integers, got ${describeValue(shape)}`,
      );
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      offsets.some((o) => !Number.isSafeInteger(o) || o < 0) ||
      offsets[0] > offsets[1]
    ) {
      fail(
        where,
        `${t}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${describeValue(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const size = DTYPE_BYTES[dtype as SafetensorsDtype];
    if (end - begin !== count * size) {
      fail(
        where,
        `${t}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but dtype ${dtype} and ` +
          `shape [${shape}] need ${count} * ${size} = ${count * size}`,
      );
    }
    if (end > bufferLen) {
      fail(
        where,
        `${t}: data_offsets [${begin}, ${end}] are out of range: the data buffer has ${bufferLen} bytes` +
          " (a truncated file?)",
      );
    }
    entries.push({
      name,
      dtype: dtype as SafetensorsDtype,
      shape: shape as number[],
      begin,
      end,
      count,
    });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: Entry | null = null;
  for (const e of entries) {
    if (e.begin < at) {
      const p = prev as Entry;
      fail(
        where,
        `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${p.name}" ` +
          `[${p.begin}, ${p.end}]`,
      );
    }
    if (e.begin > at) {
      fail(
        where,
        `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] leave bytes [${at}, ${e.begin}) ` +
          "of the data buffer unused; tensors must tile the buffer",
      );
    }
    at = e.end;
    prev = e;
  }
  if (at !== bufferLen) {
    fail(
      where,
      `the data buffer has ${bufferLen} bytes but the tensors end at ${at}; expected them to ` +
        "cover it exactly",
    );
  }
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    const raw = file.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(
      e.name,
      Object.freeze({
        dtype: e.dtype,
        shape: Object.freeze([...e.shape]),
        data: decode(e.dtype, raw, e.count),
        bytes: raw,
      }),
    );
  }
  return { tensors, metadata: Object.freeze(metadata) };
}

/**
 * Reads the tensors of a safetensors file (see {@link parseSafetensors} for the metadata too).
 *
 * ```ts
 * const tensors = loadSafetensors(new Uint8Array(await readFile("decoder.safetensors")));
 * const w = tensors.get("decoder.up1.weight"); // { dtype: "F32", shape: [64, 32, 4, 4, 4], data }
 * ```
 *
 * @param bytes - the whole file.
 * @returns the tensors by name, in the order of their data.
 * @throws ArgumentError when `bytes` is not binary data; {@link FileFormatError} for a
 *   malformed file (see the module notes for what is checked).
 */
export function loadSafetensors(
  bytes: Uint8Array | ArrayBuffer,
): ReadonlyMap<string, SafetensorsTensor> {
  return parseSafetensors(bytes).tensors;
}

/**
 * Writes tensors (and optional metadata) as a safetensors file, as the reference writer lays it
 * out: the header padded with spaces to a multiple of 8 bytes, tensors ordered by element size
 * (largest first) then name, so that every tensor's data is aligned for its type.
 *
 * @param tensors - name → `{ data, shape, dtype? }` (row-major values).
 * @param metadata - optional `__metadata__` (string values).
 * @returns the file's bytes.
 * @throws ArgumentError for a bad name, shape, data, dtype or metadata; SizeError when a
 *   tensor's data does not hold `prod(shape)` values.
 */
export function saveSafetensors(
  tensors: ReadonlyMap<string, SafetensorsInput> | Readonly<Record<string, SafetensorsInput>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const where = "saveSafetensors";
  if (tensors === null || typeof tensors !== "object") {
    throw new ArgumentError(
      `${where}: tensors must be a Map or an object of { data, shape, dtype? }, got ${describeValue(tensors)}`,
    );
  }
  const list: Array<[string, SafetensorsInput]> =
    tensors instanceof Map
      ? [...(tensors as ReadonlyMap<string, SafetensorsInput>).entries()]
      : Object.entries(tensors as Record<string, SafetensorsInput>);
  interface Out {
    name: string;
    dtype: "F32" | "F64" | "F16" | "BF16";
    shape: number[];
    data: Float32Array | Float64Array;
  }
  const outs: Out[] = [];
  for (const [name, t] of list) {
    if (typeof name !== "string" || name.length === 0 || name === "__metadata__") {
      argumentError(
        where,
        `tensor names must be nonempty strings other than "__metadata__", got ${describeValue(name)}`,
      );
    }
    if (t === null || typeof t !== "object" || !isFloatArray(t.data)) {
      throw new ArgumentError(
        `${where}: tensor "${name}" must be { data: Float32Array | Float64Array, shape, dtype? }, got ${describeValue(t)}`,
      );
    }
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.some((s) => !Number.isSafeInteger(s) || s < 0)) {
      argumentError(
        where,
        `tensor "${name}": shape must be an array of nonnegative integers, got ${describeValue(shape)}`,
      );
    }
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (count !== t.data.length) {
      throw new SizeError(
        `${where}: tensor "${name}": shape [${shape}] needs ${count} values, data has ${t.data.length}`,
      );
    }
    const dtype = t.dtype ?? (t.data instanceof Float64Array ? "F64" : "F32");
    if (dtype !== "F32" && dtype !== "F64" && dtype !== "F16" && dtype !== "BF16") {
      argumentError(
        where,
        `tensor "${name}": dtype must be "F32", "F64", "F16" or "BF16", got ${describeValue(dtype)}`,
      );
    }
    outs.push({ name, dtype, shape: [...shape], data: t.data });
  }
  const meta: Record<string, string> = {};
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) {
      throw new ArgumentError(
        `${where}: metadata must be an object of strings, got ${describeValue(metadata)}`,
      );
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new ArgumentError(
          `${where}: metadata entry "${k}" must be a string, got ${describeValue(v)}`,
        );
      }
      meta[k] = v;
    }
  }
  outs.sort(
    (a, b) =>
      DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  if (Object.keys(meta).length > 0) header.__metadata__ = meta;
  let at = 0;
  for (const o of outs) {
    const nbytes = o.data.length * DTYPE_BYTES[o.dtype];
    header[o.name] = { dtype: o.dtype, shape: o.shape, data_offsets: [at, at + nbytes] };
    at += nbytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + at);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let off = 8 + json.length;
  for (const o of outs) {
    const d = o.data;
    if (o.dtype === "F32" || o.dtype === "F64") {
      const size = o.dtype === "F32" ? 4 : 8;
      if (LITTLE_ENDIAN && (o.dtype === "F32") === d instanceof Float32Array) {
        out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), off);
      } else {
        for (let i = 0; i < d.length; i++) {
          if (size === 4) dv.setFloat32(off + 4 * i, d[i] as number, true);
          else dv.setFloat64(off + 8 * i, d[i] as number, true);
        }
      }
      off += size * d.length;
    } else {
      const conv = o.dtype === "F16" ? numberToHalf : numberToBf16;
      for (let i = 0; i < d.length; i++) dv.setUint16(off + 2 * i, conv(d[i] as number), true);
      off += 2 * d.length;
    }
  }
  return out;
}
