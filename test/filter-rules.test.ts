// The filter rules the package applies before the WASM module loads (src/functional/filter.ts:
// the weights' size, the bound on output padding) give the core's answers: the core accepts
// exactly the weights a layer is built with, and refuses exactly the output padding a layer
// refuses.
import { beforeAll, describe, expect, it } from "vitest";
import { loadSimdPackage, type Runtime } from "./runtime-helpers.js";

let T: typeof import("tconv3d");
let rt: Runtime;

beforeAll(async () => {
  ({ T, rt } = await loadSimdPackage());
});

type V3 = [number, number, number];

interface CoreFilter {
  channels: number;
  filters: number;
  groups: number;
  kernel: V3;
  stride?: V3;
  dilation?: V3;
  same?: boolean;
  outputPadding?: V3;
  weights: number;
}

/** Whether `build` returns rather than throws. */
function accepts(build: () => unknown): boolean {
  try {
    build();
    return true;
  } catch {
    return false;
  }
}

/** Whether the core's operator accepts `f` (with `f.weights` weight values). */
function coreAccepts(f: CoreFilter): boolean {
  const { OperatorF32 } = rt.wasm().exports;
  return accepts(() =>
    new OperatorF32(
      f.channels,
      f.filters,
      f.groups,
      Uint32Array.from(f.kernel),
      Uint32Array.from(f.stride ?? [1, 1, 1]),
      Uint32Array.from(f.dilation ?? [1, 1, 1]),
      Int32Array.of(0, 0, 0),
      Int32Array.of(0, 0, 0),
      f.same ?? false,
      Uint32Array.from(f.outputPadding ?? [0, 0, 0]),
      new Float32Array(f.weights),
      new Float32Array(0),
    ).free(),
  );
}

describe("the weights' size", () => {
  const cases: { kernel: V3; filters: number; channels: number; groups: number }[] = [
    { kernel: [1, 1, 1], filters: 1, channels: 1, groups: 1 },
    { kernel: [2, 3, 4], filters: 5, channels: 3, groups: 1 },
    { kernel: [3, 1, 2], filters: 6, channels: 4, groups: 2 },
    { kernel: [2, 2, 2], filters: 9, channels: 6, groups: 3 },
    { kernel: [1, 2, 1], filters: 4, channels: 8, groups: 4 },
  ];
  it.each(cases)(
    "$kernel F$filters C$channels g$groups: the core takes the layer's weights",
    (c) => {
      const layer = T.transposedConv3dLayer(c.kernel, c.filters, {
        numChannels: c.channels,
        numGroups: c.groups,
      });
      const X = T.dlarray(new Float32Array(2 * 2 * 2 * c.channels), [2, 2, 2, c.channels], "SSSC");
      const init = layer.initialize(X);
      const size = init.weights?.size ?? [];
      const n = size.reduce((a, b) => a * b, 1);
      expect(size.slice(0, 3)).toEqual(c.kernel);
      const core = { ...c, weights: n };
      expect(coreAccepts(core)).toBe(true);
      expect(coreAccepts({ ...core, weights: n + 1 })).toBe(false);
      expect(coreAccepts({ ...core, weights: n - 1 })).toBe(false);
    },
  );
});

describe("the bound on output padding", () => {
  const cases: { axis: number; o: number; s: number; d: number; same: boolean }[] = [];
  for (const axis of [0, 1, 2])
    for (const o of [0, 1, 2, 3])
      for (const s of [1, 2, 3])
        for (const d of [1, 2, 3])
          for (const same of [false, true]) cases.push({ axis, o, s, d, same });

  it("the layer and the core accept the same output padding, stride, dilation and cropping", () => {
    let accepted = 0;
    for (const c of cases) {
      const one = (v: number, dflt: number): V3 => {
        const out: V3 = [dflt, dflt, dflt];
        out[c.axis] = v;
        return out;
      };
      const [op, stride, dilation] = [one(c.o, 0), one(c.s, 1), one(c.d, 1)];
      const ts = accepts(() =>
        T.transposedConv3dLayer(2, 2, {
          stride,
          dilationFactor: dilation,
          outputPadding: op,
          cropping: c.same ? "same" : 0,
          numChannels: 2,
        }),
      );
      const core = coreAccepts({
        channels: 2,
        filters: 2,
        groups: 1,
        kernel: [2, 2, 2],
        stride,
        dilation,
        same: c.same,
        outputPadding: op,
        weights: 2 * 2 * 8,
      });
      expect({ ...c, accepted: ts }).toEqual({ ...c, accepted: core });
      if (ts) accepted++;
    }
    // Both answers occur.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(cases.length);
  });
});
