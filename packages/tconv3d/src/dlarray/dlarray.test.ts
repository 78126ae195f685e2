import { describe, expect, it } from "vitest";
import { expectThrows } from "../../../../test/helpers.js";
import type { Tconv3dErrorCode } from "../errors.js";
import * as E from "../errors.js";
import { describeValue } from "./describe.js";
import { DlArray, dlarray, type FloatArray, fromNCDHW, fromNDHWC } from "./dlarray.js";
import { columnMajorStrides, isTrivialPermutation, permute } from "./permute.js";
import { spatialView } from "./view.js";

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const iota = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i);
const iota32 = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);

/** Column-major element (subscripts) of an array. */
function at(data: FloatArray, size: readonly number[], sub: readonly number[]): number {
  const st = columnMajorStrides(size);
  let k = 0;
  for (let i = 0; i < size.length; i++) k += (sub[i] as number) * (st[i] as number);
  return data[k] as number;
}

/** Row-major element of a tensor. */
function atRowMajor(data: FloatArray, shape: readonly number[], sub: readonly number[]): number {
  let k = 0;
  for (let i = 0; i < shape.length; i++) k = k * (shape[i] as number) + (sub[i] as number);
  return data[k] as number;
}

/** Every subscript of an array of this size. */
function* subs(size: readonly number[]): Generator<number[]> {
  const n = prod(size);
  for (let k = 0; k < n; k++) {
    const s: number[] = [];
    let r = k;
    for (const len of size) {
      s.push(r % len);
      r = Math.floor(r / len);
    }
    yield s;
  }
}

describe("dlarray construction errors", () => {
  const cases: Array<[string, () => unknown, Tconv3dErrorCode, string[]]> = [
    [
      "data not a float array",
      () => dlarray([1, 2, 3] as unknown as Float32Array, [3], "U"),
      "TCONV3D_ARGUMENT",
      ["dlarray", "data", "Float32Array or Float64Array", "[1,2,3]"],
    ],
    [
      "data an Int32Array",
      () => dlarray(new Int32Array(4) as unknown as Float32Array, [4]),
      "TCONV3D_ARGUMENT",
      ["data", "Int32Array(4)"],
    ],
    [
      "size not an array",
      () => dlarray(iota(4), 4 as unknown as number[]),
      "TCONV3D_ARGUMENT",
      ["size", "nonnegative integers", "got 4"],
    ],
    [
      "size with a string",
      () => dlarray(iota(4), ["4"] as unknown as number[]),
      "TCONV3D_ARGUMENT",
      ["size", '["4"]'],
    ],
    [
      "negative size",
      () => dlarray(iota(4), [4, -1]),
      "TCONV3D_ARGUMENT",
      ["size", "nonnegative integers", "[4,-1]"],
    ],
    [
      "fractional size",
      () => dlarray(iota(4), [2.5, 2]),
      "TCONV3D_ARGUMENT",
      ["size", "nonnegative integers", "[2.5,2]"],
    ],
    ["NaN size", () => dlarray(iota(4), [Number.NaN]), "TCONV3D_ARGUMENT", ["size", "[NaN]"]],
    [
      "infinite size",
      () => dlarray(iota(4), [Infinity]),
      "TCONV3D_ARGUMENT",
      ["size", "[Infinity]"],
    ],
    [
      "length mismatch",
      () => dlarray(iota(10), [2, 3], "SS"),
      "TCONV3D_SIZE",
      ["data has 10 elements", "size [2,3] needs 6", "prod(size)"],
    ],
    [
      "length mismatch after padding",
      () => dlarray(iota(10), [2, 3], "SSSCB"),
      "TCONV3D_SIZE",
      ["data has 10 elements", "[2,3,1,1,1]"],
    ],
    [
      "format not a string",
      () => dlarray(iota(4), [4], 5 as unknown as string),
      "TCONV3D_ARGUMENT",
      ["format", "string of dimension labels", "got 5"],
    ],
    [
      "unknown label",
      () => dlarray(iota(4), [2, 2], "SX" as string),
      "TCONV3D_FORMAT",
      ["format", '"SX"', 'unknown label "X"', "position 1", "S (spatial)"],
    ],
    [
      "lower-case label",
      () => dlarray(iota(4), [2, 2], "ss" as string),
      "TCONV3D_FORMAT",
      ['unknown label "s"', "position 0"],
    ],
    [
      "C twice",
      () => dlarray(iota(4), [2, 2], "CC" as string),
      "TCONV3D_FORMAT",
      ['label "C" 2 times', '"CC"'],
    ],
    [
      "B twice",
      () => dlarray(iota(4), [1, 2, 2], "BSB" as string),
      "TCONV3D_FORMAT",
      ['label "B" 2 times'],
    ],
    [
      "T twice",
      () => dlarray(iota(4), [2, 2], "TT" as string),
      "TCONV3D_FORMAT",
      ['label "T" 2 times'],
    ],
    [
      "too few labels",
      () => dlarray(iota(24), [2, 3, 4], "SS"),
      "TCONV3D_FORMAT",
      ['format "SS" has 2 labels', "size [2,3,4] has 3 dimensions", "one label per dimension"],
    ],
  ];
  it.each(cases)("%s", (_name, make, code, parts) => {
    const err = expectThrows(E, make, code);
    for (const p of parts) expect(err.message).toContain(p);
  });

  it("new DlArray validates like dlarray", () => {
    expectThrows(E, () => new DlArray(iota(3), [2]), "TCONV3D_SIZE", /dlarray: data has 3/);
  });
});

describe("dlarray properties", () => {
  const cases: Array<[string, number[], string | undefined, number[], string]> = [
    ["full size", [4, 4, 4, 3, 2], "SSSCB", [4, 4, 4, 3, 2], "SSSCB"],
    ["omitted trailing batch", [4, 4, 4, 3], "SSSCB", [4, 4, 4, 3, 1], "SSSCB"],
    ["omitted C and B", [4, 4, 4], "SSSCB", [4, 4, 4, 1, 1], "SSSCB"],
    ["extra trailing singletons dropped", [4, 4, 4, 3, 1, 1], "SSSC", [4, 4, 4, 3], "SSSC"],
    ["any label order", [3, 4, 4, 4, 2], "CSSSB", [3, 4, 4, 4, 2], "CSSSB"],
    ["unformatted kept as given", [4, 1, 6, 1], undefined, [4, 1, 6, 1], ""],
    ["empty format is unformatted", [4, 6], "", [4, 6], ""],
    ["zero-length dimension", [4, 0, 2], "SSC", [4, 0, 2], "SSC"],
    ["U repeats", [2, 3, 2], "UUS", [2, 3, 2], "UUS"],
  ];
  it.each(cases)("%s", (_n, size, format, wantSize, wantFormat) => {
    const X = dlarray(iota(prod(size)), size, format);
    expect(X.size).toEqual(wantSize);
    expect(X.format).toBe(wantFormat);
    expect(X.dims()).toBe(wantFormat);
    expect(X.numel).toBe(prod(size));
    expect(X.ndims).toBe(wantSize.length);
    expect(Object.isFrozen(X.size)).toBe(true);
  });

  it("keeps the caller's data object (no copy) and reports dtype", () => {
    const d32 = iota32(24);
    const X = dlarray(d32, [2, 3, 4], "SSC");
    expect(X.data).toBe(d32);
    expect(X.dtype).toBe("single");
    const d64 = iota(24);
    expect(dlarray(d64, [2, 3, 4]).dtype).toBe("double");
  });

  it("the size argument is copied, not aliased", () => {
    const size = [2, 3];
    const X = dlarray(iota(6), size, "SC");
    size[0] = 99;
    expect(X.size).toEqual([2, 3]);
  });

  const finddimCases: Array<[string, "S" | "C" | "B" | "T" | "U", number[]]> = [
    ["SSSCB", "S", [0, 1, 2]],
    ["SSSCB", "C", [3]],
    ["SSSCB", "B", [4]],
    ["SSSCB", "T", []],
    ["CSBSTS", "S", [1, 3, 5]],
    ["CSBSTS", "T", [4]],
    ["UUS", "U", [0, 1]],
    ["", "S", []],
  ];
  it.each(finddimCases)("finddim on %s of %s", (format, label, want) => {
    const X = dlarray(iota(1), [], format);
    expect(X.finddim(label)).toEqual(want);
  });

  it("finddim rejects unknown labels", () => {
    const X = dlarray(iota(1), [], "SSSCB");
    expectThrows(
      E,
      () => X.finddim("X" as "S"),
      "TCONV3D_FORMAT",
      /finddim: label must be one of .*got "X"/,
    );
  });

  it("stripdims drops labels and shares data", () => {
    const X = dlarray(iota(24), [2, 3, 4], "SSC");
    const U = X.stripdims();
    expect(U.format).toBe("");
    expect(U.size).toEqual([2, 3, 4]);
    expect(U.data).toBe(X.data);
  });
});

describe("permute", () => {
  function naive(data: FloatArray, size: number[], order: number[]): number[] {
    const outSize = order.map((d) => size[d] as number);
    const out: number[] = [];
    for (const s of subs(outSize)) {
      const src = new Array<number>(size.length);
      order.forEach((d, k) => {
        src[d] = s[k] as number;
      });
      out.push(at(data, size, src));
    }
    return out;
  }
  const cases: Array<[number[], number[]]> = [
    [
      [2, 3],
      [1, 0],
    ],
    [
      [3, 4, 5],
      [2, 0, 1],
    ],
    [
      [2, 3, 4, 5, 2],
      [3, 0, 1, 2, 4],
    ],
    [
      [2, 3, 4, 5, 2],
      [4, 3, 2, 1, 0],
    ],
    [
      [1, 3, 1, 5],
      [3, 2, 1, 0],
    ],
    [[5], [0]],
    [
      [2, 0, 3],
      [2, 1, 0],
    ],
    [
      [7, 3, 2, 2, 3, 2],
      [5, 1, 0, 4, 2, 3],
    ],
  ];
  it.each(cases)("size %j order %j", (size, order) => {
    const data = iota(prod(size));
    const got = permute(data, size, order);
    expect(got.size).toEqual(order.map((d) => size[d]));
    expect(Array.from(got.data)).toEqual(naive(data, size, order));
    expect(got.data).toBeInstanceOf(Float64Array);
    expect(permute(iota32(prod(size)), size, order).data).toBeInstanceOf(Float32Array);
  });

  it("rejects a non-permutation and a length mismatch", () => {
    expectThrows(
      E,
      () => permute(iota(6), [2, 3], [0, 0]),
      "TCONV3D_ARGUMENT",
      /order must be a permutation.*\[0,0\]/,
    );
    expectThrows(E, () => permute(iota(5), [2, 3], [1, 0]), "TCONV3D_SIZE", /5 elements.*needs 6/);
  });

  it("isTrivialPermutation ignores singleton dimensions", () => {
    expect(isTrivialPermutation([4, 1, 5], [1, 0, 2])).toBe(true);
    expect(isTrivialPermutation([4, 2, 5], [1, 0, 2])).toBe(false);
  });
});

describe("toCanonical", () => {
  const cases: Array<[string, number[], string]> = [
    ["CSSSB", [2, 3, 4, 5, 2], "SSSCB"],
    ["BTCSSS", [2, 3, 2, 3, 2, 2], "SSSCBT"],
    ["USCUS", [2, 3, 2, 3, 2], "SSCUU"],
    ["SSSCB", [2, 3, 2, 3, 2], "SSSCB"],
    ["", [3, 2], ""],
  ];
  it.each(cases)("%s %j -> %s", (format, size, want) => {
    const X = dlarray(iota(prod(size)), size, format);
    const Y = X.toCanonical();
    expect(Y.format).toBe(want);
    expect(Y.data).not.toBe(X.data);
    // Each output dimension is the input dimension with the k-th matching label.
    const used = new Set<number>();
    const order = want.length
      ? [...want].map((l) => {
          for (let i = 0; i < format.length; i++) {
            if (format[i] === l && !used.has(i)) {
              used.add(i);
              return i;
            }
          }
          throw new Error("unreachable");
        })
      : size.map((_, i) => i);
    expect(Y.size).toEqual(order.map((d) => size[d]));
    for (const s of subs(Y.size)) {
      const src = new Array<number>(size.length);
      order.forEach((d, k) => {
        src[d] = s[k] as number;
      });
      expect(at(Y.data, Y.size, s)).toBe(at(X.data, X.size, src));
    }
  });
});

describe("zero-copy interop", () => {
  it("fromNCDHW wraps the same object as SSSCB [W,H,D,C,N]", () => {
    const shape = [2, 3, 4, 5, 6]; // N C D H W
    const data = iota32(prod(shape));
    const X = fromNCDHW(data, shape);
    expect(X.data).toBe(data);
    expect(X.format).toBe("SSSCB");
    expect(X.size).toEqual([6, 5, 4, 3, 2]);
    for (const [n, c, d, h, w] of [
      [0, 0, 0, 0, 0],
      [1, 2, 3, 4, 5],
      [1, 0, 2, 1, 3],
    ] as number[][]) {
      expect(
        at(X.data, X.size, [w as number, h as number, d as number, c as number, n as number]),
      ).toBe(
        atRowMajor(data, shape, [n as number, c as number, d as number, h as number, w as number]),
      );
    }
    const back = X.toNCDHW();
    expect(back.data).toBe(data);
    expect(back.shape).toEqual(shape);
  });

  it("fromNDHWC wraps the same object as CSSSB [C,W,H,D,N]", () => {
    const shape = [2, 3, 4, 5, 6]; // N D H W C
    const data = iota(prod(shape));
    const X = fromNDHWC(data, shape);
    expect(X.data).toBe(data);
    expect(X.format).toBe("CSSSB");
    expect(X.size).toEqual([6, 5, 4, 3, 2]);
    expect(at(X.data, X.size, [5, 4, 3, 2, 1])).toBe(atRowMajor(data, shape, [1, 2, 3, 4, 5]));
    const back = X.toNDHWC();
    expect(back.data).toBe(data);
    expect(back.shape).toEqual(shape);
  });

  // format, size, layout, expect zero copy
  const cases: Array<[string, number[], "NCDHW" | "NDHWC", boolean]> = [
    ["SSSCB", [5, 4, 3, 2, 2], "NCDHW", true],
    ["SSSC", [5, 4, 3, 2], "NCDHW", true],
    ["SSSCB", [5, 4, 3, 2, 1], "NDHWC", false],
    ["SSSCB", [5, 4, 3, 1, 2], "NDHWC", true], // one channel: same memory
    ["CSSSB", [2, 5, 4, 3, 2], "NDHWC", true],
    ["CSSSB", [2, 5, 4, 3, 2], "NCDHW", false],
    ["SSSBC", [5, 4, 3, 2, 2], "NCDHW", false],
    ["SSSBC", [5, 4, 3, 1, 2], "NCDHW", true], // batch 1: same memory
    ["SSSCBT", [5, 4, 3, 2, 2, 1], "NCDHW", true],
    ["SUSSCB", [5, 1, 4, 3, 2, 2], "NCDHW", true],
    ["BSSSC", [2, 5, 4, 3, 2], "NDHWC", false],
    ["SSS", [5, 4, 3], "NCDHW", true],
    ["SSS", [5, 4, 3], "NDHWC", true],
    ["SCSBS", [5, 2, 4, 2, 3], "NCDHW", false],
  ];
  it.each(cases)("%s %j to%s zero copy: %s", (format, size, layout, zero) => {
    const X = dlarray(iota32(prod(size)), size, format);
    const { data, shape } = layout === "NCDHW" ? X.toNCDHW() : X.toNDHWC();
    expect(data === X.data).toBe(zero);
    expect(data).toBeInstanceOf(Float32Array);
    const s = X.finddim("S");
    const cD = X.finddim("C")[0];
    const bD = X.finddim("B")[0];
    const len = (d: number | undefined): number => (d === undefined ? 1 : (X.size[d] as number));
    const [W, H, D] = s.map((d) => X.size[d] as number) as [number, number, number];
    const C = len(cD);
    const N = len(bD);
    expect(shape).toEqual(layout === "NCDHW" ? [N, C, D, H, W] : [N, D, H, W, C]);
    for (const sub of subs(X.size)) {
      const [w, h, d] = s.map((k) => sub[k] as number) as [number, number, number];
      const c = cD === undefined ? 0 : (sub[cD] as number);
      const n = bD === undefined ? 0 : (sub[bD] as number);
      const rm = layout === "NCDHW" ? [n, c, d, h, w] : [n, d, h, w, c];
      expect(atRowMajor(data, shape, rm)).toBe(at(X.data, X.size, sub));
    }
  });

  const errCases: Array<[string, () => unknown, Tconv3dErrorCode, string[]]> = [
    [
      "toNCDHW on two S",
      () => dlarray(iota(8), [2, 2, 2], "SSC").toNCDHW(),
      "TCONV3D_FORMAT",
      ["DlArray.toNCDHW", "exactly three S", '"SSC"'],
    ],
    [
      "toNDHWC on unformatted",
      () => dlarray(iota(8), [2, 2, 2]).toNDHWC(),
      "TCONV3D_FORMAT",
      ["DlArray.toNDHWC", "exactly three S", 'format ""'],
    ],
    [
      "toNCDHW with a long T",
      () => dlarray(iota(16), [2, 2, 2, 1, 1, 2], "SSSCBT").toNCDHW(),
      "TCONV3D_FORMAT",
      ["T dimension of length 2", "dimension 5"],
    ],
    [
      "fromNCDHW shape of 4",
      () => fromNCDHW(iota(8), [2, 2, 2, 1]),
      "TCONV3D_ARGUMENT",
      ["fromNCDHW", "shape must be [N, C, D, H, W]", "[2,2,2,1]"],
    ],
    [
      "fromNCDHW length mismatch",
      () => fromNCDHW(iota(8), [1, 1, 2, 2, 3]),
      "TCONV3D_SIZE",
      ["fromNCDHW", "data has 8 elements", "shape [1,1,2,2,3] needs 12"],
    ],
    [
      "fromNDHWC bad shape value",
      () => fromNDHWC(iota(8), [1, 1, 2, 2, -2]),
      "TCONV3D_ARGUMENT",
      ["fromNDHWC", "shape", "nonnegative integers", "[1,1,2,2,-2]"],
    ],
    [
      "fromNDHWC bad data",
      () => fromNDHWC(new Uint8Array(8) as unknown as Float32Array, [1, 1, 2, 2, 2]),
      "TCONV3D_ARGUMENT",
      ["fromNDHWC", "data must be a Float32Array or Float64Array", "Uint8Array(8)"],
    ],
  ];
  it.each(errCases)("%s", (_n, make, code, parts) => {
    const err = expectThrows(E, make, code);
    for (const p of parts) expect(err.message).toContain(p);
  });
});

describe("spatialView", () => {
  type Want = {
    batch: number;
    channels: number;
    spatial: number[];
    s: number[];
    c: number;
    n: number;
    foldable: boolean;
    batchOrder: string;
    timeAsSpatial: boolean;
  };
  const cases: Array<[string, number[], Want]> = [
    [
      "SSSCB",
      [5, 4, 3, 2, 6],
      {
        batch: 6,
        channels: 2,
        spatial: [5, 4, 3],
        s: [1, 5, 20],
        c: 60,
        n: 120,
        foldable: true,
        batchOrder: "B",
        timeAsSpatial: false,
      },
    ],
    [
      "SSSC",
      [5, 4, 3, 2],
      {
        batch: 1,
        channels: 2,
        spatial: [5, 4, 3],
        s: [1, 5, 20],
        c: 60,
        n: 120,
        foldable: true,
        batchOrder: "",
        timeAsSpatial: false,
      },
    ],
    [
      "CSSSB",
      [2, 5, 4, 3, 6],
      {
        batch: 6,
        channels: 2,
        spatial: [5, 4, 3],
        s: [2, 10, 40],
        c: 1,
        n: 120,
        foldable: true,
        batchOrder: "B",
        timeAsSpatial: false,
      },
    ],
    [
      "SSSCBT",
      [5, 4, 3, 2, 6, 7],
      {
        batch: 42,
        channels: 2,
        spatial: [5, 4, 3],
        s: [1, 5, 20],
        c: 60,
        n: 120,
        foldable: true,
        batchOrder: "BT",
        timeAsSpatial: false,
      },
    ],
    [
      "TBSSSC",
      [7, 6, 5, 4, 3, 2],
      {
        batch: 42,
        channels: 2,
        spatial: [5, 4, 3],
        s: [42, 210, 840],
        c: 2520,
        n: 1,
        foldable: true,
        batchOrder: "TB",
        timeAsSpatial: false,
      },
    ],
    [
      "SSSBCT (B and T apart)",
      [5, 4, 3, 6, 2, 7],
      {
        batch: 42,
        channels: 2,
        spatial: [5, 4, 3],
        s: [1, 5, 20],
        c: 360,
        n: 60,
        foldable: false,
        batchOrder: "BT",
        timeAsSpatial: false,
      },
    ],
    [
      "SSSBCT with one channel",
      [5, 4, 3, 6, 1, 7],
      {
        batch: 42,
        channels: 1,
        spatial: [5, 4, 3],
        s: [1, 5, 20],
        c: 360,
        n: 60,
        foldable: true,
        batchOrder: "BT",
        timeAsSpatial: false,
      },
    ],
    [
      "SSSBCT with T = 1",
      [5, 4, 3, 6, 2, 1],
      {
        batch: 6,
        channels: 2,
        spatial: [5, 4, 3],
        s: [1, 5, 20],
        c: 360,
        n: 60,
        foldable: true,
        batchOrder: "B",
        timeAsSpatial: false,
      },
    ],
    [
      "SSSCT (no B)",
      [5, 4, 3, 2, 7],
      {
        batch: 7,
        channels: 2,
        spatial: [5, 4, 3],
        s: [1, 5, 20],
        c: 60,
        n: 120,
        foldable: true,
        batchOrder: "T",
        timeAsSpatial: false,
      },
    ],
    [
      "SSCBT (T as third axis)",
      [5, 4, 2, 6, 7],
      {
        batch: 6,
        channels: 2,
        spatial: [5, 4, 7],
        s: [1, 5, 240],
        c: 20,
        n: 40,
        foldable: true,
        batchOrder: "B",
        timeAsSpatial: true,
      },
    ],
    [
      "TSSC (T as third axis, no B)",
      [7, 5, 4, 2],
      {
        batch: 1,
        channels: 2,
        spatial: [5, 4, 7],
        s: [7, 35, 1],
        c: 140,
        n: 280,
        foldable: true,
        batchOrder: "",
        timeAsSpatial: true,
      },
    ],
  ];
  it.each(cases)("%s", (name, size, want) => {
    const format = name.split(" ")[0] as string;
    const X = dlarray(iota32(prod(size)), size, format);
    const v = spatialView(X);
    expect(v.format).toBe(format);
    expect(v.batch).toBe(want.batch);
    expect(v.channels).toBe(want.channels);
    expect(v.spatial).toEqual(want.spatial);
    expect(v.strides.s).toEqual(want.s);
    expect(v.strides.c).toBe(want.c);
    expect(v.foldable).toBe(want.foldable);
    expect(v.batchOrder).toBe(want.batchOrder);
    expect(v.timeAsSpatial).toBe(want.timeAsSpatial);
    if (v.batch > 1) expect(v.strides.n).toBe(want.n);
    if (!v.foldable) return;
    // Every element is reachable through the view and lands where the labels say.
    const seen = new Uint8Array(X.numel);
    const [n0, n1, n2] = v.spatial as [number, number, number];
    for (let n = 0; n < v.batch; n++)
      for (let c = 0; c < v.channels; c++)
        for (let k = 0; k < n2; k++)
          for (let j = 0; j < n1; j++)
            for (let i = 0; i < n0; i++) {
              const off =
                n * v.strides.n +
                c * v.strides.c +
                i * (v.strides.s[0] as number) +
                j * (v.strides.s[1] as number) +
                k * (v.strides.s[2] as number);
              expect(seen[off]).toBe(0);
              seen[off] = 1;
            }
    expect(seen.every((x) => x === 1)).toBe(true);
  });

  it("toCanonical makes a non-foldable layout foldable", () => {
    const X = dlarray(iota32(5 * 4 * 3 * 6 * 2 * 7), [5, 4, 3, 6, 2, 7], "SSSBCT");
    expect(spatialView(X).foldable).toBe(false);
    const v = spatialView(X.toCanonical());
    expect(v.foldable).toBe(true);
    expect(v.batchOrder).toBe("BT");
  });

  const errCases: Array<[string, number[], string[]]> = [
    ["", [2, 2, 2, 2], ["unformatted"]],
    ["SSCB", [2, 2, 2, 2], ['"SSCB"', "2 S dimensions"]],
    ["SSSSC", [2, 2, 2, 2, 2], ['"SSSSC"', "4 S dimensions"]],
    ["SSSB", [2, 2, 2, 2], ['"SSSB"', "no C dimension"]],
    ["SSSCU", [2, 2, 2, 2, 3], ['"SSSCU"', "U dimension"]],
    ["SCBT", [2, 2, 2, 2], ['"SCBT"', "1 S dimension"]],
  ];
  it.each(errCases)("rejects format %j", (format, size, parts) => {
    const X = dlarray(iota(prod(size)), size, format);
    const err = expectThrows(E, () => spatialView(X), "TCONV3D_FORMAT", /^spatialView: /);
    for (const p of parts) expect(err.message).toContain(p);
    expect(() => spatialView(X, "predict")).toThrow(/^predict: /);
  });
});

describe("describeValue", () => {
  const cases: Array<[unknown, string]> = [
    [1, "1"],
    [-0, "-0"],
    [Number.NaN, "NaN"],
    ["same", '"same"'],
    [[0, 1, 2], "[0,1,2]"],
    [
      [
        [1, 2],
        [3, 4],
      ],
      "[[1,2],[3,4]]",
    ],
    [new Float32Array(3), "Float32Array(3)"],
    [null, "null"],
    [undefined, "undefined"],
    [{ a: 1 }, "{a: 1}"],
    [Array.from({ length: 10 }, (_, i) => i), "[0,1,2,3,4,5,6,7,... 2 more]"],
    [function foo() {}, "function foo"],
    [new Map(), "Map"],
  ];
  it.each(cases)("%j", (v, want) => {
    expect(describeValue(v)).toBe(want);
  });
});
