// Type tests: mistakes that must not compile (each line after `@ts-expect-error` must be an
// error, or the directive itself is one) and good calls that must, with the result types they
// must have. Never run; types.test.ts type-checks it against the built package (as does the
// repository's `tsc --noEmit`).
import {
  type DlArray,
  dlarray,
  dltranspconv,
  dltranspconvBackward,
  type FloatArray,
  type Format,
  type Gradients,
  type SameDtype,
  type Tconv3dError,
  type Tconv3dErrorCode,
  type TransposedConv3dOptions,
  transposedConv3dLayer,
  type WasmArray,
  wasmArray,
} from "tconv3d";

/** Compiles only when `A` and `B` are the same type. */
type Equal<A, B> =
  (<V>() => V extends A ? 1 : 2) extends <V>() => V extends B ? 1 : 2 ? true : false;
declare function expectType<T extends true>(): T;
/** Marks values as used. */
declare function use(...values: unknown[]): void;

declare const x32: Float32Array;
declare const x64: Float64Array;
declare const X32: DlArray<Float32Array>;
declare const X64: DlArray<Float64Array>;
declare const Xany: DlArray;
declare const W: DlArray;

// ---------------------------------------------------------------------------------------------
// transposedConv3dLayer: the options object

transposedConv3dLayer(3, 8);
transposedConv3dLayer([3, 3, 1], 8, {
  stride: [2, 2, 1],
  cropping: [
    [1, 1, 0],
    [0, 0, 0],
  ],
  weightsInitializer: (size) => new Float32Array(size.reduce((a, b) => a * b, 1)),
  biasInitializer: "narrow-normal",
  numChannels: "auto",
  name: "up1",
});
transposedConv3dLayer(3, 8, { cropping: "same", weights: x32, bias: null });
const declared: TransposedConv3dOptions = { stride: 2 };
transposedConv3dLayer(3, 8, declared);

// @ts-expect-error: a misspelt option
transposedConv3dLayer(3, 8, { strid: 2 });
// @ts-expect-error: a misspelt option beside a good one
transposedConv3dLayer(3, 8, { stride: 2, nmae: "up1" });
const withTypo = { stride: 2, nmae: "up1" };
// @ts-expect-error: an unknown key in a variable, not only in a literal
transposedConv3dLayer(3, 8, withTypo);
// @ts-expect-error: MATLAB's spelling is for Name-Value pairs; the object is camelCase
transposedConv3dLayer(3, 8, { Stride: 2 });
// @ts-expect-error: a value of the wrong type
transposedConv3dLayer(3, 8, { stride: "2" });
// @ts-expect-error: not a cropping
transposedConv3dLayer(3, 8, { cropping: "sam" });
// @ts-expect-error: not an initializer
transposedConv3dLayer(3, 8, { weightsInitializer: "xavier" });
// @ts-expect-error: the initializer's argument is the size vector
transposedConv3dLayer(3, 8, {
  weightsInitializer: (size: string) => new Float32Array(size.length),
});

// ---------------------------------------------------------------------------------------------
// transposedConv3dLayer: MATLAB's Name-Value pairs

transposedConv3dLayer(4, 64, "Stride", 2, "Cropping", 1);
transposedConv3dLayer(4, 64, "stride", [2, 2, 1], "cropping", "same", "name", "up1");
transposedConv3dLayer(
  11,
  32,
  "Stride",
  [4, 4, 2],
  "DilationFactor",
  1,
  "NumGroups",
  1,
  "WeightLearnRateFactor",
  0.5,
  "BiasLearnRateFactor",
  0,
  "WeightL2Factor",
  1,
  "BiasL2Factor",
  0,
  "Name",
  "up1",
  "Weights",
  x32,
  "Bias",
  x64,
);
// A callback's parameter is typed from its name.
transposedConv3dLayer(3, 8, "WeightsInitializer", (size) => new Float64Array(size.length));
transposedConv3dLayer(3, 8, "Cropping", [
  [1, 1, 0],
  [0, 0, 0],
]);

// @ts-expect-error: a misspelt name
transposedConv3dLayer(3, 8, "Strid", 2);
// @ts-expect-error: a misspelt name in a later pair
transposedConv3dLayer(3, 8, "Stride", 2, "Croping", 1);
// @ts-expect-error: a value of the wrong type for its name
transposedConv3dLayer(3, 8, "Stride", "2");
// @ts-expect-error: the wrong type in a later pair
transposedConv3dLayer(3, 8, "Stride", 2, "Name", 3);
// @ts-expect-error: a name without a value
transposedConv3dLayer(3, 8, "Stride", 2, "Name");
// @ts-expect-error: only camelCase and PascalCase names compile
transposedConv3dLayer(3, 8, "STRIDE", 2);
// @ts-expect-error: "same" is the only cropping word
transposedConv3dLayer(3, 8, "Cropping", "full");
// @ts-expect-error: a name that is not a string
transposedConv3dLayer(3, 8, 2, "Stride");
// @ts-expect-error: a callback of the wrong shape
transposedConv3dLayer(3, 8, "WeightsInitializer", (size: string) => new Float32Array(size.length));

// ---------------------------------------------------------------------------------------------
// Formats

dlarray(x32, [4, 4, 4, 3, 2], "SSSCB");
dlarray(x32, [4, 4, 4, 3], "SSSC");
dlarray(x32, [3, 4, 4, 4, 2], "CSSSB");
dlarray(x32, [4, 4, 4, 3, 2, 5], "SSSCBT");
dlarray(x32, [4, 4, 3, 2, 5], "SSCBT");
dlarray(x32, [4, 4], "");
dlarray(x32, [4, 4]);
dlarray(x32, [4, 4, 4, 4, 3], "SSSSC");
dlarray(x32, [2, 2, 2, 2, 2, 2, 2, 2], "UUUUUUSS");
declare const runtimeFormat: string;
dlarray(x32, [4, 4], runtimeFormat); // a plain string is checked at run time

// @ts-expect-error: an unknown label
dlarray(x32, [4, 4, 4], "SSX");
// @ts-expect-error: labels are upper case
dlarray(x32, [4, 4, 4], "ssc");
// @ts-expect-error: C at most once
dlarray(x32, [4, 4, 4, 4], "SSCC");
// @ts-expect-error: B at most once
dlarray(x32, [4, 4, 4, 4, 1, 1], "SSSBCB");
// @ts-expect-error: T at most once
dlarray(x32, [4, 4, 4, 1], "SSTT");
declare const maybeBad: "SSSCB" | "SSX";
// @ts-expect-error: every member of a union must be a format
dlarray(x32, [4, 4, 4, 3, 2], maybeBad);
// @ts-expect-error: wasmArray checks its format too
wasmArray([4, 4, 4, 3], "SSSQ");
dltranspconv(dlarray(x32, [4, 4, 4, 3]), W, 0, { dataFormat: "SSSC", stride: 2 });
dltranspconv(dlarray(x32, [4, 4, 4, 3]), W, 0, { dataFormat: runtimeFormat });
// @ts-expect-error: and dltranspconv its dataFormat
dltranspconv(dlarray(x32, [4, 4, 4, 3]), W, 0, { dataFormat: "SSSX" });

expectType<Equal<Format<"SSSCB">, "SSSCB">>();
expectType<Equal<Format<string>, string>>();

// ---------------------------------------------------------------------------------------------
// dtypes: results keep the input's precision

const layer = transposedConv3dLayer(3, 8);

const y32: Float32Array = layer.predict(X32).data;
const y64: Float64Array = layer.predict(X64).data;
// @ts-expect-error: a single input gives a single output
const wrong: Float64Array = layer.predict(X32).data;
use(y32, y64, wrong);
expectType<Equal<ReturnType<typeof layer.predict<Float32Array>>, DlArray<Float32Array>>>();
expectType<Equal<typeof Xany, DlArray<FloatArray>>>();
const yAny = layer.predict(Xany);
expectType<Equal<typeof yAny, DlArray<Float32Array | Float64Array>>>();

// Made from typed arrays, a dlarray carries their type into the results.
const Xm = dlarray(new Float32Array(4 * 4 * 4 * 3), [4, 4, 4, 3], "SSSC");
const ym: Float32Array = layer.predict(Xm).data;
use(ym);

const g32 = layer.backward(X32, layer.predict(X32));
expectType<Equal<typeof g32, Gradients<Float32Array>>>();
const dW: Float32Array = g32.dLdW.data;
const g64 = layer.backward(X64, layer.predict(X64));
const dX: Float64Array = g64.dLdX.data;
use(dW, dX);
// dLdY of either precision: converted to the input's, whose gradients come back.
const gMixed: Gradients<Float32Array> = layer.backward(X32, dlarray(x64, [6, 6, 6, 8], "SSSC"));
use(gMixed);

// out: arrays of the input's precision, or "wasm" for WasmArrays of it.
const Y32 = layer.predict(X32);
layer.predict(X32, { out: Y32 });
// @ts-expect-error: an output of the other precision
layer.predict(X32, { out: layer.predict(X64) });
// @ts-expect-error: a misspelt option
layer.predict(X32, { ot: Y32 });
const Yw = layer.predict(X32, { out: "wasm" });
expectType<Equal<typeof Yw, WasmArray<Float32Array>>>();
const gw = layer.backward(X64, layer.predict(X64), { out: "wasm" });
expectType<Equal<typeof gw.dLdW, WasmArray<Float64Array>>>();
layer.backward(X32, Y32, { out: { dLdX: X32 } });
// @ts-expect-error: a gradient output of the other precision
layer.backward(X32, Y32, { out: { dLdW: X64 } });
// @ts-expect-error: a misspelt gradient
layer.backward(X32, Y32, { out: { dX: X32 } });

const w32 = wasmArray([4, 4, 4, 3], "SSSC");
const w64 = wasmArray([4, 4, 4, 3], "SSSC", "double");
const fromWasm: Float32Array = layer.predict(w32).data;
const fromWasm64: Float64Array = layer.predict(w64).data;
use(fromWasm, fromWasm64);

// dltranspconv and its gradients: X's precision, whatever the weights'.
const f32: Float32Array = dltranspconv(X32, W, 0, { stride: 2 }).data;
const f64: Float64Array = dltranspconv(X64, W, [1, 2], { cropping: "same" }).data;
use(f32, f64);
const fw = dltranspconv(X32, W, 0, { out: "wasm" });
expectType<Equal<typeof fw, WasmArray<Float32Array>>>();
const fg = dltranspconvBackward(X64, W, dltranspconv(X64, W, 0), { stride: 1 });
expectType<Equal<typeof fg, Gradients<Float64Array>>>();
expectType<Equal<SameDtype<Float32Array<ArrayBuffer>>, Float32Array>>();

// @ts-expect-error: a misspelt option
dltranspconv(X32, W, 0, { strides: 2 });
const functionalTypo = { stride: 2, padding: 1 };
// @ts-expect-error: an unknown option in a variable
dltranspconv(X32, W, 0, functionalTypo);
// @ts-expect-error: dltranspconv takes no layer option
dltranspconvBackward(X32, W, Y32, { numGroups: 2 });
// dLdY of the other precision is converted.
const gFunctional: Gradients<Float32Array> = dltranspconvBackward(X32, W, dltranspconv(X64, W, 0));
use(gFunctional);

// ---------------------------------------------------------------------------------------------
// Errors: codes are a closed set

declare const e: Tconv3dError;
const code: Tconv3dErrorCode = e.code;
use(code);
// @ts-expect-error: not a code
const notACode: Tconv3dErrorCode = "TCONV3D_NOPE";
use(notACode);
