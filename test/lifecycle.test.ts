// The operator lifecycle behind a layer: weights packed once per weights version (whatever the
// input sizes), one plan per input size (a few kept), one core call per backward; output
// padding as a parameter of its own.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadSimdPackage, type Runtime } from "./runtime-helpers.js";
import { values } from "./values.mjs";

let T: typeof import("tconv3d");
let rt: Runtime;

beforeAll(async () => {
  ({ T, rt } = await loadSimdPackage());
});

/** Counts calls of the f32 operator's methods `names` until `restore()`. */
function countCalls(names: readonly ("reshape" | "free" | "backward" | "forward")[]) {
  const proto = rt.wasm().exports.OperatorF32.prototype as unknown as Record<
    string,
    (...a: unknown[]) => unknown
  >;
  const counts: Record<string, number> = {};
  const originals = names.map((n) => [n, proto[n]] as const);
  for (const [n, f] of originals) {
    counts[n] = 0;
    proto[n] = function (this: unknown, ...a: unknown[]) {
      counts[n] = (counts[n] as number) + 1;
      return (f as (...a: unknown[]) => unknown).apply(this, a);
    };
  }
  restore = () => {
    for (const [n, f] of originals) proto[n] = f as (...a: unknown[]) => unknown;
  };
  return counts;
}
let restore = () => {};
afterEach(() => restore());

const C = 3;
const input = (n: number, s: [number, number, number], seed: number) =>
  T.dlarray(values(s[0] * s[1] * s[2] * C * n, seed), [...s, C, n], "SSSCB");

function layerOf() {
  return {
    layer: T.transposedConv3dLayer([2, 3, 2], 4, {
      stride: [2, 1, 2],
      cropping: [
        [1, 0, 0],
        [0, 1, 1],
      ],
      outputPadding: [1, 0, 1],
      weights: T.dlarray(values(2 * 3 * 2 * 4 * C, 5), [2, 3, 2, 4, C]),
      bias: new Float32Array([0.5, -1, 2, 0]),
    }),
  };
}

describe("operator lifecycle", () => {
  it("alternating batch and volume sizes reuse one packing and one plan per size", () => {
    const { layer } = layerOf();
    const xs = [input(1, [5, 4, 3], 1), input(3, [5, 4, 3], 2), input(1, [2, 6, 4], 3)];
    const calls = countCalls(["reshape", "free"]);
    const first = xs.map((X) => layer.predict(X));
    for (let round = 0; round < 3; round++) {
      xs.forEach((X, i) => {
        expect(layer.predict(X).data).toEqual(first[i]?.data);
      });
    }
    // One plan per size, no operator freed (no re-pack).
    expect(calls).toEqual({ reshape: 3, free: 0 });
  });

  it("a new weights version packs again; sizes past the plans kept are planned again", () => {
    const { layer } = layerOf();
    const X = input(1, [3, 3, 3], 7);
    layer.predict(X);
    const calls = countCalls(["reshape", "free"]);
    layer.predict(X);
    expect(calls).toEqual({ reshape: 0, free: 0 });
    layer.weights = T.dlarray(new Float32Array(2 * 3 * 2 * 4 * C).fill(1), [2, 3, 2, 4, C]);
    layer.predict(X);
    expect(calls).toEqual({ reshape: 1, free: 1 });
    // Five sizes in turn: four plans are kept, so the first is planned again.
    for (let n = 1; n <= 5; n++) layer.predict(input(n, [3, 3, 3], n));
    const before = calls.reshape as number;
    layer.predict(input(1, [3, 3, 3], 9));
    expect(calls.reshape).toBe(before + 1);
  });

  it("one backward is one call of the core", () => {
    const { layer } = layerOf();
    const X = input(2, [4, 3, 2], 11);
    const dY = layer.predict(X);
    const calls = countCalls(["backward", "forward"]);
    layer.backward(X, dY);
    expect(calls).toEqual({ backward: 1, forward: 0 });
  });

  it("output padding is the core's: crops and output size", () => {
    const { layer } = layerOf();
    // End crops [0, 1, 1] minus OutputPadding [1, 0, 1].
    expect(layer.croppingSize).toEqual([
      [1, 0, 0],
      [-1, 1, 0],
    ]);
    const Y = layer.predict(input(1, [5, 4, 3], 1));
    // 2*(5-1)+2 - 1 + 1, (4-1)+3 - 1, 2*(3-1)+2 - 1 + 1
    expect(Y.size.slice(0, 3)).toEqual([10, 5, 6]);
  });
});
