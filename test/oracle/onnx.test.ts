import { describe, expect, it } from "vitest";
import { values } from "../helpers.js";
import { convTransposeModel, type OnnxConvTransposeArgs, onnxConvTranspose } from "./onnx.js";
import { referenceConvTranspose } from "./reference.js";

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

describe("ONNX Runtime ConvTranspose oracle", () => {
  it("builds a model ORT accepts, and a hand-computed 1-D-like case matches", async () => {
    // x = [1 2 3] along W, kernel [1 10], stride 2: each x[i] lands at 2i and 2i+1.
    const r = await onnxConvTranspose({
      x: new Float32Array([1, 2, 3]),
      xShape: [1, 1, 1, 1, 3],
      w: new Float32Array([1, 10]),
      wShape: [1, 1, 1, 1, 2],
      strides: [1, 1, 2],
    });
    expect(r.shape).toEqual([1, 1, 1, 1, 6]);
    expect(Array.from(r.data)).toEqual([1, 10, 2, 20, 3, 30]);
    expect(r.data).toBeInstanceOf(Float32Array);
  });

  it("hand-computed: crop, dilation and bias along one axis", async () => {
    // x = [1 2], k = [1 2 3], dilation 2: taps at 0, 2, 4 -> uncropped length 2-1+5 = 6:
    // [1, 2, 2, 4, 3, 6]; crop 1 at the begin, 2 at the end -> [2, 2, 4], + bias 0.5.
    const r = await onnxConvTranspose({
      x: new Float32Array([1, 2]),
      xShape: [1, 1, 2, 1, 1],
      w: new Float32Array([1, 2, 3]),
      wShape: [1, 1, 3, 1, 1],
      b: new Float32Array([0.5]),
      dilations: [2, 1, 1],
      pads: [1, 0, 0, 2, 0, 0],
    });
    expect(r.shape).toEqual([1, 1, 3, 1, 1]);
    expect(Array.from(r.data)).toEqual([2.5, 2.5, 4.5]);
  });

  const cases: Array<
    [string, Omit<OnnxConvTransposeArgs<Float32Array>, "x" | "w" | "b">, boolean]
  > = [
    ["plain 3-D", { xShape: [1, 2, 3, 4, 5], wShape: [2, 3, 2, 3, 2] }, false],
    ["stride 2", { xShape: [2, 2, 3, 3, 4], wShape: [2, 3, 3, 3, 3], strides: [2, 2, 2] }, true],
    [
      "stride (1,2,3) with asymmetric pads",
      {
        xShape: [1, 3, 3, 4, 3],
        wShape: [3, 2, 3, 4, 5],
        strides: [1, 2, 3],
        pads: [0, 1, 2, 2, 1, 0],
      },
      true,
    ],
    [
      "dilation 2",
      { xShape: [1, 2, 3, 3, 3], wShape: [2, 2, 3, 2, 3], dilations: [2, 2, 2] },
      false,
    ],
    [
      "dilation (1,2,3), stride 2, pads",
      {
        xShape: [1, 2, 4, 3, 3],
        wShape: [2, 2, 2, 3, 2],
        dilations: [1, 2, 3],
        strides: [2, 2, 2],
        pads: [1, 1, 1, 0, 2, 1],
      },
      true,
    ],
    ["group 2", { xShape: [2, 4, 3, 3, 3], wShape: [4, 3, 2, 2, 2], group: 2 }, true],
    [
      "group 2 with stride, dilation, pads",
      {
        xShape: [1, 4, 3, 4, 3],
        wShape: [4, 1, 3, 2, 3],
        group: 2,
        strides: [2, 1, 2],
        dilations: [1, 2, 1],
        pads: [1, 0, 1, 1, 1, 2],
      },
      true,
    ],
    [
      "output padding",
      {
        xShape: [1, 2, 3, 3, 3],
        wShape: [2, 2, 3, 3, 3],
        strides: [2, 2, 3],
        outputPadding: [1, 0, 2],
      },
      false,
    ],
  ];
  it.each(cases)("%s matches the docs/semantics.md loop (f32)", async (_n, geom, withBias) => {
    const x = values(prod(geom.xShape), 1);
    const w = values(prod(geom.wShape), 2);
    const F = geom.wShape[1] * (geom.group ?? 1);
    const args: OnnxConvTransposeArgs<Float32Array> = { ...geom, x, w };
    if (withBias) args.b = values(F, 3);
    const ref = referenceConvTranspose(args);
    const got = await onnxConvTranspose(args);
    expect(got.shape).toEqual(ref.shape);
    expect(got.data.length).toBe(ref.data.length);
    let maxErr = 0;
    for (let i = 0; i < ref.data.length; i++) {
      maxErr = Math.max(maxErr, Math.abs((got.data[i] as number) - (ref.data[i] as number)));
    }
    expect(maxErr).toBeLessThan(1e-5);
  });

  it("f64: ONNX Runtime's CPU provider has no double ConvTranspose (rejects clearly)", async () => {
    await expect(
      onnxConvTranspose({
        x: new Float64Array([1, 2, 3]),
        xShape: [1, 1, 1, 1, 3],
        w: new Float64Array([1, 10]),
        wShape: [1, 1, 1, 1, 2],
      }),
    ).rejects.toThrow(/no double-precision ConvTranspose/);
  });

  it("the model bytes are deterministic and carry opset 17 and the f64 element type", () => {
    const args: OnnxConvTransposeArgs = {
      x: new Float64Array(3),
      xShape: [1, 1, 1, 1, 3],
      w: new Float64Array(2),
      wShape: [1, 1, 1, 1, 2],
    };
    const a = convTransposeModel(args);
    expect(convTransposeModel(args)).toEqual(a);
    const text = new TextDecoder("latin1").decode(a);
    expect(text).toContain("ConvTranspose");
    expect(text).toContain("kernel_shape");
  });

  it("rejects inconsistent arguments", async () => {
    await expect(
      onnxConvTranspose({
        x: new Float32Array(4),
        xShape: [1, 1, 1, 1, 3],
        w: new Float32Array(2),
        wShape: [1, 1, 1, 1, 2],
      }),
    ).rejects.toThrow(/x has 4 values, xShape \[1,1,1,1,3\] needs 3/);
    await expect(
      onnxConvTranspose({
        x: new Float32Array(3),
        xShape: [1, 1, 1, 1, 3],
        w: new Float64Array(2) as unknown as Float32Array,
        wShape: [1, 1, 1, 1, 2],
      }),
    ).rejects.toThrow(/same element type/);
  });
});
