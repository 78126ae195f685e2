// The safetensors reader and writer: a file written by the reference Python package
// (test/fixtures/make_safetensors_fixture.py), hand-assembled byte fixtures, round trips through
// our writer, every malformed-file rule, and layer.loadWeights / saveWeights.
import { readFileSync } from "node:fs";
import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { expectThrows } from "./helpers.js";
import { simdPackage } from "./runtime-helpers.js";

let T: typeof Tconv3d;

beforeAll(async () => {
  T = await simdPackage();
});

const FIXTURE = new URL("./fixtures/pytorch-like.safetensors", import.meta.url);

/** The fixture script's values: ((i * 37) % 29 - 14) / scale, row-major. */
function v(count: number, scale: number): number[] {
  return Array.from({ length: count }, (_, i) => (((i * 37) % 29) - 14) / scale);
}

/** A file from a header object and raw data bytes (the header is written as given). */
function file(header: unknown, data: Uint8Array | number[] = [], headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32le(values: number[]): Uint8Array {
  const b = new Uint8Array(4 * values.length);
  const dv = new DataView(b.buffer);
  values.forEach((x, i) => {
    dv.setFloat32(4 * i, x, true);
  });
  return b;
}

describe("a file written by the reference safetensors package (Python)", () => {
  it("reads every tensor, dtype, shape and the metadata", () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    const { tensors, metadata } = T.parseSafetensors(bytes);
    expect(metadata).toEqual({ format: "pt", source: "make_safetensors_fixture.py" });
    expect([...tensors.keys()].sort()).toEqual([
      "decoder.bn.num_batches_tracked",
      "decoder.up1.bias",
      "decoder.up1.weight",
      "decoder.up2.bias",
      "decoder.up2.weight",
      "decoder.up3.weight",
    ]);
    const get = (n: string) => tensors.get(n) as Tconv3d.SafetensorsTensor;
    const w1 = get("decoder.up1.weight");
    expect(w1.dtype).toBe("F32");
    expect(w1.shape).toEqual([4, 3, 1, 3, 2]);
    expect(w1.data).toBeInstanceOf(Float32Array);
    expect(Array.from(w1.data as Float32Array)).toEqual(v(72, 64));
    // Aligned F32 data is a view into the file, not a copy.
    expect((w1.data as Float32Array).buffer).toBe(bytes.buffer);
    expect(Array.from(get("decoder.up1.bias").data as Float32Array)).toEqual(v(3, 8));
    const w2 = get("decoder.up2.weight");
    expect(w2.dtype).toBe("F64");
    expect(w2.data).toBeInstanceOf(Float64Array);
    expect(Array.from(w2.data as Float64Array)).toEqual(v(4, 3));
    expect(Array.from(get("decoder.up2.bias").data as Float64Array)).toEqual(v(4, 7));
    const w3 = get("decoder.up3.weight");
    expect(w3.dtype).toBe("F16");
    expect(w3.data).toBeInstanceOf(Float32Array); // converted
    expect(Array.from(w3.data as Float32Array)).toEqual(v(16, 16));
    const nb = get("decoder.bn.num_batches_tracked");
    expect(nb.dtype).toBe("I64");
    expect(nb.shape).toEqual([]);
    expect(nb.data).toBeNull();
    expect(new DataView(nb.bytes.buffer, nb.bytes.byteOffset, 8).getBigInt64(0, true)).toBe(7n);
  });

  it("loads a layer's weights and bias by name; predictions equal fromConvTranspose3d's", () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    // ConvTranspose3d(4, 3, kernel_size=(1, 3, 2)) for fromNCDHW inputs: FilterSize [kW kH kD].
    const layer = T.transposedConv3dLayer([2, 3, 1], 3, { stride: 2 });
    expect(layer.numChannels).toBe("auto");
    layer.loadWeights(bytes, { weight: "decoder.up1.weight", bias: "decoder.up1.bias" });
    expect(layer.numChannels).toBe(4);
    const W = layer.weights as Tconv3d.DlArray;
    expect(W.size).toEqual([2, 3, 1, 3, 4]);
    expect(Array.from(W.data)).toEqual(v(72, 64));
    expect(Array.from((layer.bias as Tconv3d.DlArray).data)).toEqual(v(3, 8));

    const t = T.loadSafetensors(bytes);
    const ref = T.fromConvTranspose3d({
      weight: t.get("decoder.up1.weight")?.data as Float32Array,
      weightShape: [4, 3, 1, 3, 2],
      bias: t.get("decoder.up1.bias")?.data as Float32Array,
      stride: 2,
    });
    const x = Float32Array.from(v(4 * 2 * 3 * 2, 10));
    const X = T.fromNCDHW(x, [1, 4, 2, 3, 2]);
    expect(Array.from(layer.predict(X).data)).toEqual(Array.from(ref.predict(X).data));
  });

  it("grouped double weights and half weights; the map form of the source works too", () => {
    const tensors = T.loadSafetensors(new Uint8Array(readFileSync(FIXTURE)));
    const g = T.transposedConv3dLayer(1, 4, { numGroups: 2 });
    g.loadWeights(tensors, { weight: "decoder.up2.weight", bias: "decoder.up2.bias" });
    const W = g.weights as Tconv3d.DlArray;
    expect(W.dtype).toBe("double");
    expect(W.size).toEqual([1, 1, 1, 2, 1, 2]);
    expect(g.numChannels).toBe(2);
    const h = T.transposedConv3dLayer(2, 1);
    h.loadWeights(tensors, { weight: "decoder.up3.weight" });
    expect((h.weights as Tconv3d.DlArray).dtype).toBe("single");
    expect(h.bias).toBeNull(); // not named: left alone
  });
});

describe("hand-assembled files (independent of our writer)", () => {
  it("reads F32 at an unaligned offset (a copy), F64, F16 and BF16 special values", () => {
    // Header of 13 bytes: data starts at byte 21, so the F32 tensor is misaligned.
    const header =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"h":{"dtype":"F16","shape":[6],"data_offsets":[8,20]},' +
      '"b":{"dtype":"BF16","shape":[4],"data_offsets":[20,28]},' +
      '"d":{"dtype":"F64","shape":[1,1],"data_offsets":[28,36]}}';
    const data = new Uint8Array(36);
    const dv = new DataView(data.buffer);
    dv.setFloat32(0, 1.5, true);
    dv.setFloat32(4, -0.1, true);
    // F16: 1, -2, 1/3 (0x3555), smallest subnormal 2^-24, +Inf, 65504 (largest finite)
    [0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0x7bff].forEach((h, i) => {
      dv.setUint16(8 + 2 * i, h, true);
    });
    // BF16: 1, -3, 0.15625, NaN
    [0x3f80, 0xc040, 0x3e20, 0x7fc0].forEach((h, i) => {
      dv.setUint16(20 + 2 * i, h, true);
    });
    dv.setFloat64(28, Math.PI, true);
    const bytes = file(null, data, header);
    const t = T.loadSafetensors(bytes);
    const a = t.get("a") as Tconv3d.SafetensorsTensor;
    expect(Array.from(a.data as Float32Array)).toEqual([1.5, Math.fround(-0.1)]);
    expect((bytes.byteOffset + 8 + header.length) % 4).not.toBe(0);
    expect(a.bytes.buffer).toBe(bytes.buffer); // raw bytes: a view
    expect(Array.from(t.get("h")?.data as Float32Array)).toEqual([
      1,
      -2,
      Math.fround(0.333251953125),
      2 ** -24,
      Number.POSITIVE_INFINITY,
      65504,
    ]);
    const bf = Array.from(t.get("b")?.data as Float32Array);
    expect(bf.slice(0, 3)).toEqual([1, -3, 0.15625]);
    expect(bf[3]).toBeNaN();
    expect(Array.from(t.get("d")?.data as Float64Array)).toEqual([Math.PI]);
    expect(t.get("d")?.shape).toEqual([1, 1]);
  });

  it("accepts an empty file ({}), space padding, zero-size tensors and any key order", () => {
    expect(T.loadSafetensors(file({})).size).toBe(0);
    const padded = file(null, [], "{}      ");
    expect(T.parseSafetensors(padded).metadata).toEqual({});
    const t = T.loadSafetensors(
      file(
        {
          z: { dtype: "F32", shape: [0, 3], data_offsets: [4, 4] },
          y: { data_offsets: [0, 4], shape: [], dtype: "F32" },
        },
        f32le([2.5]),
      ),
    );
    expect(t.get("z")?.data?.length).toBe(0);
    expect(Array.from(t.get("y")?.data as Float32Array)).toEqual([2.5]);
    // Tensors come back in data order.
    expect([...t.keys()]).toEqual(["y", "z"]);
  });

  it("takes an ArrayBuffer, and a Uint8Array that is a window into a larger buffer", () => {
    const bytes = file({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, f32le([1, 2]));
    expect(
      Array.from(T.loadSafetensors(bytes.slice().buffer).get("w")?.data as Float32Array),
    ).toEqual([1, 2]);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expect(Array.from(T.loadSafetensors(big.subarray(3)).get("w")?.data as Float32Array)).toEqual([
      1, 2,
    ]);
  });
});

describe("malformed files are rejected with the rule they break", () => {
  const ok = { w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  const data = f32le([1, 2]);
  const good = file(ok, data);
  const withLength = (n: bigint, rest: Uint8Array) => {
    const out = new Uint8Array(8 + rest.length);
    new DataView(out.buffer).setBigUint64(0, n, true);
    out.set(rest, 8);
    return out;
  };
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      "fewer than 8 bytes",
      () => T.loadSafetensors(new Uint8Array(5)),
      /loadSafetensors: the file has 5 bytes; a safetensors file starts with an 8-byte header length/,
    ],
    [
      "truncated header",
      () => T.loadSafetensors(good.subarray(0, 30)),
      /the header length is 54 bytes but only 22 bytes follow the 8-byte length \(a truncated file/,
    ],
    [
      "huge header length",
      () => T.loadSafetensors(withLength(2n ** 63n, new Uint8Array(4))),
      /the header length is 9223372036854775808 bytes but only 4 bytes follow/,
    ],
    [
      "header over 100 MB",
      () => T.loadSafetensors(withLength(100_000_001n, new Uint8Array(100_000_001))),
      /the header length is 100000001 bytes; expected at most 100000000/,
    ],
    [
      "header length 0",
      () => T.loadSafetensors(withLength(0n, new Uint8Array(0))),
      /the header length is 0 bytes; expected a JSON object/,
    ],
    [
      "invalid UTF-8",
      () => T.loadSafetensors(withLength(3n, Uint8Array.of(0x7b, 0xff, 0x7d))),
      /the header is not valid UTF-8/,
    ],
    [
      "not starting with {",
      () => T.loadSafetensors(file(null, [], ' {"a":1}')),
      /the header must start with "\{", got " \{\\"a\\":1\}"/,
    ],
    [
      "a JSON array",
      () => T.loadSafetensors(file([1])),
      /the header must start with "\{", got "\[1\]"/,
    ],
    [
      "bad JSON",
      () => T.loadSafetensors(file(null, [], '{"w": {"dtype": "F32",}')),
      /the header is not valid JSON \(/,
    ],
    [
      "entry not an object",
      () => T.loadSafetensors(file({ w: 3 })),
      /tensor "w": expected \{ dtype, shape, data_offsets \}, got 3/,
    ],
    [
      "unknown dtype",
      () => T.loadSafetensors(file({ w: { ...ok.w, dtype: "F128" } }, data)),
      /tensor "w": unsupported dtype "F128"; expected one of BOOL, U8/,
    ],
    [
      "negative shape",
      () => T.loadSafetensors(file({ w: { ...ok.w, shape: [-2] } }, data)),
      /tensor "w": shape must be an array of nonnegative integers, got \[-2\]/,
    ],
    [
      "missing shape",
      () => T.loadSafetensors(file({ w: { dtype: "F32", data_offsets: [0, 8] } }, data)),
      /tensor "w": shape must be an array of nonnegative integers, got undefined/,
    ],
    [
      "offsets reversed",
      () => T.loadSafetensors(file({ w: { ...ok.w, data_offsets: [8, 0] } }, data)),
      /tensor "w": data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[8,0\]/,
    ],
    [
      "offsets of 3",
      () => T.loadSafetensors(file({ w: { ...ok.w, data_offsets: [0, 4, 8] } }, data)),
      /data_offsets must be \[begin, end\]/,
    ],
    [
      "size vs dtype and shape",
      () => T.loadSafetensors(file({ w: { ...ok.w, shape: [3] } }, data)),
      /tensor "w": data_offsets \[0, 8\] hold 8 bytes but dtype F32 and shape \[3\] need 3 \* 4 = 12/,
    ],
    [
      "dtype size mismatch",
      () => T.loadSafetensors(file({ w: { ...ok.w, dtype: "F64" } }, data)),
      /hold 8 bytes but dtype F64 and shape \[2\] need 2 \* 8 = 16/,
    ],
    [
      "offsets out of range",
      () => T.loadSafetensors(file(ok, data.subarray(0, 6))),
      /tensor "w": data_offsets \[0, 8\] are out of range: the data buffer has 6 bytes \(a truncated file\?\)/,
    ],
    [
      "overlap",
      () =>
        T.loadSafetensors(
          file(
            {
              a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
              b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
            },
            data,
          ),
        ),
      /tensor "b": data_offsets \[4, 8\] overlap tensor "a" \[0, 8\]/,
    ],
    [
      "hole",
      () =>
        T.loadSafetensors(file({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, data)),
      /tensor "a": data_offsets \[4, 8\] leave bytes \[0, 4\) of the data buffer unused/,
    ],
    [
      "trailing bytes",
      () => T.loadSafetensors(file(ok, f32le([1, 2, 3]))),
      /the data buffer has 12 bytes but the tensors end at 8; expected them to cover it exactly/,
    ],
    [
      "metadata not strings",
      () => T.loadSafetensors(file({ __metadata__: { epoch: 3 } })),
      /__metadata__ entry "epoch" must be a string, got 3/,
    ],
    [
      "metadata not an object",
      () => T.loadSafetensors(file({ __metadata__: "pt" })),
      /__metadata__ must be an object of strings, got "pt"/,
    ],
  ];
  it.each(cases)("%s", (_, fn, msg) => {
    const e = expectThrows(T, fn, "TCONV3D_FILE", msg);
    // The old name still catches them.
    expect(e).toBeInstanceOf(T.SafetensorsError);
  });

  it("a non-binary argument is an ArgumentError", () => {
    expectThrows(
      T,
      () => T.loadSafetensors("file.safetensors" as never),
      "TCONV3D_ARGUMENT",
      /loadSafetensors: bytes must be a Uint8Array, ArrayBuffer or ArrayBufferView, got "file.safetensors"/,
    );
  });
});

describe("saveSafetensors", () => {
  it("writes what the hand-written layout says: 8-aligned header, largest elements first", () => {
    const bytes = T.saveSafetensors(
      {
        b: { data: Float32Array.of(1, 2), shape: [2] },
        a: { data: Float64Array.of(3), shape: [1, 1] },
      },
      { format: "pt" },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(JSON.parse(text)).toEqual({
      __metadata__: { format: "pt" },
      a: { dtype: "F64", shape: [1, 1], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [2], data_offsets: [8, 16] },
    });
    expect(text.trimEnd()).toBe(text.slice(0, text.lastIndexOf("}") + 1));
    const dv = new DataView(bytes.buffer, 8 + n);
    expect(dv.getFloat64(0, true)).toBe(3);
    expect(dv.getFloat32(8, true)).toBe(1);
    expect(dv.getFloat32(12, true)).toBe(2);
    expect(bytes.length).toBe(8 + n + 16);
  });

  it("round-trips F32, F64, F16 and BF16 (rounding to nearest even), metadata and names", () => {
    const f32 = Float32Array.from({ length: 30 }, (_, i) => Math.fround(Math.sin(i) * 100));
    const f64 = Float64Array.from({ length: 7 }, (_, i) => Math.cos(i) / 3);
    const half = Float32Array.of(
      1 + 2 ** -11, // tie: rounds to even (1)
      1 + 3 * 2 ** -11, // tie: rounds to even (1 + 2^-9)
      65519, // rounds down to 65504
      65520, // rounds up to Inf
      2 ** -25, // tie with 0: rounds to even (0)
      3 * 2 ** -25, // tie: rounds to 2 * 2^-24
      -0,
      Number.NaN,
    );
    const bf = Float32Array.of(1 + 2 ** -8, 1 + 3 * 2 ** -8, -1e-3, 3e38);
    const bytes = T.saveSafetensors(
      new Map<string, Tconv3d.SafetensorsInput>([
        ["model.f32", { data: f32, shape: [2, 3, 5] }],
        ["model.f64", { data: f64, shape: [7] }],
        ["model.half", { data: half, shape: [8], dtype: "F16" }],
        ["model.bf", { data: bf, shape: [2, 2], dtype: "BF16" }],
      ]),
      { note: "ünïcode ✓" },
    );
    const { tensors, metadata } = T.parseSafetensors(bytes);
    expect(metadata).toEqual({ note: "ünïcode ✓" });
    expect(Array.from(tensors.get("model.f32")?.data as Float32Array)).toEqual(Array.from(f32));
    expect(tensors.get("model.f32")?.shape).toEqual([2, 3, 5]);
    expect(Array.from(tensors.get("model.f64")?.data as Float64Array)).toEqual(Array.from(f64));
    const h = Array.from(tensors.get("model.half")?.data as Float32Array);
    expect(h.slice(0, 7)).toEqual([
      1,
      1 + 2 ** -9,
      65504,
      Number.POSITIVE_INFINITY,
      0,
      2 ** -23,
      -0,
    ]);
    expect(Object.is(h[6], -0)).toBe(true);
    expect(h[7]).toBeNaN();
    const b = Array.from(tensors.get("model.bf")?.data as Float32Array);
    expect(b[0]).toBe(1);
    expect(b[1]).toBe(1 + 2 ** -6);
    expect(Math.abs((b[2] as number) + 1e-3)).toBeLessThan(1e-5);
    expect(b[3]).toBeCloseTo(3e38, -36);
  });

  it("rejects bad input with the tensor name", () => {
    expectThrows(
      T,
      () => T.saveSafetensors({ w: { data: new Float32Array(3), shape: [2] } }),
      "TCONV3D_SIZE",
      /saveSafetensors: tensor "w": shape \[2\] needs 2 values, data has 3/,
    );
    expectThrows(
      T,
      () => T.saveSafetensors({ w: { data: [1, 2] as never, shape: [2] } }),
      "TCONV3D_ARGUMENT",
      /tensor "w" must be \{ data: Float32Array \| Float64Array, shape, dtype\? \}/,
    );
    expectThrows(
      T,
      () =>
        T.saveSafetensors({ w: { data: new Float32Array(2), shape: [2], dtype: "I8" as never } }),
      "TCONV3D_ARGUMENT",
      /tensor "w": dtype must be "F32", "F64", "F16" or "BF16", got "I8"/,
    );
    expectThrows(
      T,
      () => T.saveSafetensors({ __metadata__: { data: new Float32Array(0), shape: [0] } }),
      "TCONV3D_ARGUMENT",
      /tensor names must be nonempty strings other than "__metadata__"/,
    );
    expectThrows(
      T,
      () => T.saveSafetensors({}, { n: 1 as never }),
      "TCONV3D_ARGUMENT",
      /metadata entry "n" must be a string, got 1/,
    );
  });
});

describe("layer.saveWeights / loadWeights", () => {
  it("round-trips a grouped layer exactly; predictions are identical", () => {
    T.rngSeed(5);
    const a = T.transposedConv3dLayer([3, 2, 2], 6, {
      numGroups: 3,
      stride: 2,
      biasInitializer: "narrow-normal",
    });
    const X = T.dlarray(Float32Array.from(v(4 * 3 * 2 * 6, 9)), [4, 3, 2, 6], "SSSC");
    const Ya = a.predict(X);
    const bytes = a.saveWeights({ weight: "up.weight", bias: "up.bias" }, { epoch: "3" });
    const t = T.parseSafetensors(bytes);
    expect(t.metadata).toEqual({ epoch: "3" });
    // PyTorch's layout: [Cin, Cout/groups, kD, kH, kW] = [6, 2, 2, 2, 3].
    expect(t.tensors.get("up.weight")?.shape).toEqual([6, 2, 2, 2, 3]);
    expect(t.tensors.get("up.bias")?.shape).toEqual([6]);
    const b = T.transposedConv3dLayer([3, 2, 2], 6, { numGroups: 3, stride: 2 });
    b.loadWeights(bytes, { weight: "up.weight", bias: "up.bias" });
    expect(Array.from((b.weights as Tconv3d.DlArray).data)).toEqual(
      Array.from((a.weights as Tconv3d.DlArray).data),
    );
    expect((b.weights as Tconv3d.DlArray).size).toEqual([3, 2, 2, 2, 2, 3]);
    expect(Array.from(b.predict(X).data)).toEqual(Array.from(Ya.data));
  });

  it("reloading weights changes predictions (the compute plan re-packs)", () => {
    const a = T.transposedConv3dLayer(2, 2, { weightsInitializer: "ones" });
    const X = T.dlarray(Float32Array.from(v(8 * 3, 5)), [2, 2, 2, 3], "SSSC");
    const Y1 = Array.from(a.predict(X).data);
    const zeros = T.saveSafetensors({
      w: { data: new Float32Array(3 * 2 * 8), shape: [3, 2, 2, 2, 2] },
    });
    a.loadWeights(zeros, { weight: "w" });
    const Y2 = Array.from(a.predict(X).data);
    expect(Y2).not.toEqual(Y1);
    expect(Y2.every((y) => y === 0)).toBe(true);
  });

  it("rejects missing names, non-float tensors and wrong shapes, leaving the layer unchanged", () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    const layer = T.transposedConv3dLayer([2, 3, 1], 3, { numChannels: 4, name: "up1" });
    layer.loadWeights(bytes, { weight: "decoder.up1.weight", bias: "decoder.up1.bias" });
    const before = [
      Array.from((layer.weights as Tconv3d.DlArray).data),
      Array.from((layer.bias as Tconv3d.DlArray).data),
    ];
    const cases: Array<[() => unknown, Tconv3d.Tconv3dErrorCode, RegExp]> = [
      [
        () => layer.loadWeights(bytes, { weight: "decoder.up9.weight" }),
        "TCONV3D_ARGUMENT",
        /transposedConv3dLayer.loadWeights: no tensor named "decoder.up9.weight"; the file holds "decoder.bn.num_batches_tracked", /,
      ],
      [
        () => layer.loadWeights(bytes, { weight: "decoder.bn.num_batches_tracked" }),
        "TCONV3D_ARGUMENT",
        /tensor "decoder.bn.num_batches_tracked" has dtype I64; expected F32, F64, F16 or BF16/,
      ],
      [
        () => layer.loadWeights(bytes, { weight: "decoder.up3.weight" }),
        "TCONV3D_SIZE",
        /tensor "decoder.up3.weight" has shape \[2,1,2,2,2\]; expected \[4, 3, 1, 3, 2\] \(\[NumChannels, NumFilters\/NumGroups, k3, k2, k1\]/,
      ],
      [
        // The weight fits, the bias does not: neither is set.
        () => layer.loadWeights(bytes, { weight: "decoder.up1.weight", bias: "decoder.up2.bias" }),
        "TCONV3D_SIZE",
        /tensor "decoder.up2.bias" has shape \[4\]; expected \[3\] \(NumFilters\)/,
      ],
      [
        () => layer.loadWeights(bytes, { weight: "" }),
        "TCONV3D_ARGUMENT",
        /names must be \{ weight: string, bias\?: string \}/,
      ],
      [
        () => layer.loadWeights(bytes, { weight: "a", b: "c" } as never),
        "TCONV3D_ARGUMENT",
        /unknown key "b" in names; expected weight, bias/,
      ],
      [
        () => layer.loadWeights(bytes.subarray(0, 100), { weight: "a" }),
        "TCONV3D_FILE",
        /loadSafetensors: the header length is 536 bytes but only 92 bytes follow/,
      ],
    ];
    for (const [fn, code, msg] of cases) expectThrows(T, fn, code, msg);
    expect([
      Array.from((layer.weights as Tconv3d.DlArray).data),
      Array.from((layer.bias as Tconv3d.DlArray).data),
    ]).toEqual(before);
    expect(layer.numChannels).toBe(4);
    // Still usable.
    expect(layer.predict(T.dlarray(new Float32Array(4), [1, 1, 1, 4], "SSSC")).size).toEqual([
      2, 3, 1, 3,
    ]);
  });

  it("saveWeights needs learnables and distinct names", () => {
    const layer = T.transposedConv3dLayer(2, 2);
    expectThrows(
      T,
      () => layer.saveWeights({ weight: "w" }),
      "TCONV3D_ARGUMENT",
      /saveWeights: the layer has no weights yet; call initialize\(X\) or set them/,
    );
    layer.weights = new Float32Array(16);
    expect(() => layer.saveWeights({ weight: "w", bias: "b" })).toThrow(
      /the layer has no bias yet/,
    );
    layer.bias = new Float32Array(2);
    expect(() => layer.saveWeights({ weight: "w", bias: "w" })).toThrow(
      /weight and bias need different names, got "w" twice/,
    );
    expect(T.loadSafetensors(layer.saveWeights({ weight: "w" })).size).toBe(1);
  });
});
