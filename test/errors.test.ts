// Every public function, given representative bad input, throws a Tconv3dError of the class
// and code its kind of mistake has (ArgumentError, FormatError, FileFormatError, SizeError,
// MemoryError, BackendError), with a message headed by the function's name. One table; the
// detailed messages are checked beside each feature's tests. (init and backendInfo belong to
// the runtime, tested in runtime*.test.ts.)
import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { expectThrows } from "./helpers.js";
import { simdPackage } from "./runtime-helpers.js";

let T: typeof Tconv3d;

beforeAll(async () => {
  T = await simdPackage();
});

const f32 = (n: number) => new Float32Array(n);
const X = () => T.dlarray(f32(3 * 3 * 3 * 2), [3, 3, 3, 2], "SSSC");
const W = () => T.dlarray(f32(2 * 2 * 2 * 4 * 2), [2, 2, 2, 4, 2]);
const layer = () => T.transposedConv3dLayer(2, 4, { numChannels: 2 });
/** A layer with learnables, and the dLdY of its output for `X()`. */
const trained = () => {
  const l = layer().initialize(X());
  const Y = l.predict(X());
  return { l, dLdY: T.dlarray(f32(Y.numel), Y.size, Y.format) };
};
const file = () => T.saveSafetensors({ w: { data: f32(4), shape: [4] } });

/** [what, the call, the code, the name that heads the message] */
const CASES: Array<[string, () => unknown, Tconv3d.Tconv3dErrorCode, string]> = [
  // dlarray and DlArray
  [
    "dlarray: data not a float array",
    () => T.dlarray([1] as never, [1]),
    "TCONV3D_ARGUMENT",
    "dlarray",
  ],
  ["dlarray: negative size", () => T.dlarray(f32(0), [2, -1]), "TCONV3D_ARGUMENT", "dlarray"],
  [
    "dlarray: unknown label",
    () => T.dlarray(f32(4), [2, 2], "SX" as string),
    "TCONV3D_FORMAT",
    "dlarray",
  ],
  [
    "dlarray: length against size",
    () => T.dlarray(f32(5), [2, 2], "SS"),
    "TCONV3D_SIZE",
    "dlarray",
  ],
  ["new DlArray: length against size", () => new T.DlArray(f32(3), [2]), "TCONV3D_SIZE", "dlarray"],
  [
    "DlArray.finddim: unknown label",
    () => X().finddim("Q" as "S"),
    "TCONV3D_FORMAT",
    "DlArray.finddim",
  ],
  [
    "DlArray.toNCDHW: two S",
    () => T.dlarray(f32(8), [2, 2, 2], "SSC").toNCDHW(),
    "TCONV3D_FORMAT",
    "DlArray.toNCDHW",
  ],
  [
    "DlArray.toNDHWC: unformatted",
    () => T.dlarray(f32(8), [8]).toNDHWC(),
    "TCONV3D_FORMAT",
    "DlArray.toNDHWC",
  ],
  [
    "fromNCDHW: 4-D shape",
    () => T.fromNCDHW(f32(8), [2, 2, 2, 1]),
    "TCONV3D_ARGUMENT",
    "fromNCDHW",
  ],
  [
    "fromNDHWC: length against shape",
    () => T.fromNDHWC(f32(7), [1, 2, 2, 2, 1]),
    "TCONV3D_SIZE",
    "fromNDHWC",
  ],

  // transposedConv3dLayer and the layer
  [
    "transposedConv3dLayer: stride 0",
    () => T.transposedConv3dLayer(3, 2, { stride: 0 }),
    "TCONV3D_ARGUMENT",
    "transposedConv3dLayer",
  ],
  [
    "transposedConv3dLayer: unknown option",
    () => T.transposedConv3dLayer(3, 2, { strid: 2 } as never),
    "TCONV3D_ARGUMENT",
    "transposedConv3dLayer",
  ],
  [
    "transposedConv3dLayer: unknown Name-Value name",
    () => T.transposedConv3dLayer(3, 2, ...(["Strode", 2] as unknown as ["Stride", 2])),
    "TCONV3D_ARGUMENT",
    "transposedConv3dLayer",
  ],
  [
    "transposedConv3dLayer: weights of another size",
    () => T.transposedConv3dLayer(3, 2, { weights: f32(5) }),
    "TCONV3D_SIZE",
    "transposedConv3dLayer",
  ],
  [
    "predict: unformatted input",
    () => layer().predict(T.dlarray(f32(54), [54])),
    "TCONV3D_FORMAT",
    "transposedConv3dLayer",
  ],
  [
    "predict: channels against NumChannels",
    () => layer().predict(T.dlarray(f32(27 * 3), [3, 3, 3, 3], "SSSC")),
    "TCONV3D_SIZE",
    "transposedConv3dLayer",
  ],
  [
    "predict: crops that leave no output (refused by the core)",
    () =>
      T.transposedConv3dLayer(1, 1, { cropping: 1 }).predict(
        T.dlarray(f32(1), [1, 1, 1, 1], "SSSC"),
      ),
    "TCONV3D_SIZE",
    "transposedConv3dLayer",
  ],
  [
    "predict: out of another dtype",
    () =>
      layer().predict(X(), {
        out: T.dlarray(new Float64Array(4 * 4 * 4 * 4), [4, 4, 4, 4], "SSSC") as never,
      }),
    "TCONV3D_ARGUMENT",
    "transposedConv3dLayer",
  ],
  [
    "backward: dLdY of another format",
    () => {
      const { l, dLdY } = trained();
      return l.backward(X(), T.dlarray(dLdY.data, dLdY.size, "CSSS"));
    },
    "TCONV3D_FORMAT",
    "transposedConv3dLayer",
  ],
  [
    "initialize: no C dimension",
    () => layer().initialize(T.dlarray(f32(27), [3, 3, 3], "SSS")),
    "TCONV3D_FORMAT",
    "transposedConv3dLayer",
  ],
  [
    "weightL2Factor setter: negative",
    () => {
      layer().weightL2Factor = -1;
    },
    "TCONV3D_ARGUMENT",
    "transposedConv3dLayer",
  ],
  [
    "saveWeights: no weights yet",
    () => layer().saveWeights({ weight: "w" }),
    "TCONV3D_ARGUMENT",
    "transposedConv3dLayer.saveWeights",
  ],
  [
    "loadWeights: no such tensor",
    () => layer().loadWeights(file(), { weight: "v" }),
    "TCONV3D_ARGUMENT",
    "transposedConv3dLayer.loadWeights",
  ],
  [
    "loadWeights: tensor of another shape",
    () => layer().loadWeights(file(), { weight: "w" }),
    "TCONV3D_SIZE",
    "transposedConv3dLayer.loadWeights",
  ],
  [
    "loadWeights: a malformed file",
    () => layer().loadWeights(file().subarray(0, 12), { weight: "w" }),
    "TCONV3D_FILE",
    "loadSafetensors",
  ],

  // dltranspconv
  [
    "dltranspconv: X not a dlarray",
    () => T.dltranspconv(f32(4) as never, W(), 0),
    "TCONV3D_ARGUMENT",
    "dltranspconv",
  ],
  [
    "dltranspconv: unknown option",
    () => T.dltranspconv(X(), W(), 0, { strides: 2 } as never),
    "TCONV3D_ARGUMENT",
    "dltranspconv",
  ],
  [
    "dltranspconv: dataFormat on a formatted X",
    () => T.dltranspconv(X(), W(), 0, { dataFormat: "SSSC" }),
    "TCONV3D_FORMAT",
    "dltranspconv",
  ],
  [
    "dltranspconv: bias of another length",
    () => T.dltranspconv(X(), W(), [1, 2]),
    "TCONV3D_SIZE",
    "dltranspconv",
  ],
  [
    "dltranspconvBackward: dLdY of another size",
    () => T.dltranspconvBackward(X(), W(), T.dlarray(f32(4), [1, 1, 1, 4], "SSSC")),
    "TCONV3D_SIZE",
    "dltranspconvBackward",
  ],

  // WasmArray
  [
    "wasmArray: bad dtype",
    () => T.wasmArray([2], "S", "half" as "single"),
    "TCONV3D_ARGUMENT",
    "wasmArray",
  ],
  ["wasmArray: past 4 GiB", () => T.wasmArray([2 ** 31]), "TCONV3D_MEMORY", "wasmArray"],
  [
    "WasmArray: disposed, then used",
    () => {
      const A = T.wasmArray([3, 3, 3, 2], "SSSC");
      A.dispose();
      return layer().predict(A);
    },
    "TCONV3D_DISPOSED",
    "transposedConv3dLayer",
  ],

  // PyTorch, safetensors, random numbers
  [
    "fromConvTranspose3d: unknown parameter",
    () => T.fromConvTranspose3d({ kernel: 2 } as never),
    "TCONV3D_ARGUMENT",
    "fromConvTranspose3d",
  ],
  [
    "fromConvTranspose3d: weight against weightShape",
    () => T.fromConvTranspose3d({ weight: f32(3), weightShape: [1, 1, 1, 1, 2] }),
    "TCONV3D_SIZE",
    "fromConvTranspose3d",
  ],
  [
    "parseSafetensors: truncated",
    () => T.parseSafetensors(new Uint8Array(4)),
    "TCONV3D_FILE",
    "loadSafetensors",
  ],
  [
    "loadSafetensors: not bytes",
    () => T.loadSafetensors("x" as never),
    "TCONV3D_ARGUMENT",
    "loadSafetensors",
  ],
  [
    "saveSafetensors: data against shape",
    () => T.saveSafetensors({ w: { data: f32(3), shape: [2] } }),
    "TCONV3D_SIZE",
    "saveSafetensors",
  ],
  ["rngSeed: negative", () => T.rngSeed(-1), "TCONV3D_ARGUMENT", "rngSeed"],

  // Training
  [
    "sgdmupdate: not a layer",
    () => T.sgdmupdate({} as never, { dLdW: f32(1), dLdB: f32(1) }),
    "TCONV3D_ARGUMENT",
    "sgdmupdate",
  ],
  [
    "sgdmupdate: gradient of another size",
    () => T.sgdmupdate(trained().l, { dLdW: f32(3), dLdB: f32(4) }),
    "TCONV3D_SIZE",
    "sgdmupdate",
  ],
  [
    "adamupdate: option out of range",
    () => T.adamupdate(trained().l, { dLdW: f32(64), dLdB: f32(4) }, undefined, { epsilon: 0 }),
    "TCONV3D_ARGUMENT",
    "adamupdate",
  ],
];

describe("every public function throws the package's errors", () => {
  it.each(CASES)("%s", (_, call, code, where) => {
    const e = expectThrows(T, call, code);
    expect(e.message.startsWith(`${where}: `)).toBe(true);
  });

  it("the classes: one base, a code each, the subclasses' codes within their parent's", () => {
    const made = [
      new T.ArgumentError("a"),
      new T.FormatError("f"),
      new T.FileFormatError("ff"),
      new T.SizeError("s"),
      new T.MemoryError("m"),
      new T.BackendError("TCONV3D_WORKER", "b"),
    ];
    expect(made.map((e) => [e.name, e.code])).toEqual([
      ["ArgumentError", "TCONV3D_ARGUMENT"],
      ["FormatError", "TCONV3D_FORMAT"],
      ["FileFormatError", "TCONV3D_FILE"],
      ["SizeError", "TCONV3D_SIZE"],
      ["MemoryError", "TCONV3D_MEMORY"],
      ["BackendError", "TCONV3D_WORKER"],
    ]);
    for (const e of made) {
      expect(e).toBeInstanceOf(T.Tconv3dError);
      expect(e).toBeInstanceOf(Error);
    }
    expect(made[2]).toBeInstanceOf(T.FormatError);
    expect(made[4]).toBeInstanceOf(T.SizeError);
    expect(T.SafetensorsError).toBe(T.FileFormatError);
  });
});
