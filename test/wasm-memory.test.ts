// WASM memory over many calls, in the threaded build (shared memory, Node's default): it stays
// flat over 10,000 calls of every calling style; `using` frees a WasmArray at the end of its
// block; and WasmArrays left undisposed are bounded (a MemoryError naming how many are alive
// and what they hold) while calls on JS arrays keep working.
import type * as Tconv3d from "tconv3d";
import { beforeAll, describe, expect, it } from "vitest";
import { values } from "./helpers.js";
import { assertBuilt, loadRuntime, type Runtime } from "./runtime-helpers.js";

let T: typeof Tconv3d;
let rt: Runtime;

beforeAll(async () => {
  assertBuilt();
  T = await import("tconv3d");
  rt = await loadRuntime();
  await T.init({ variant: "simd-threads", threads: 2 });
});

const bytes = () => rt.wasm().buffer().byteLength;

describe("WASM memory in the threaded build", () => {
  it("stays flat over 10,000 calls: 2,000 of each of five calling styles", () => {
    const layer = T.transposedConv3dLayer(3, 4, { stride: 2, cropping: 1 });
    const X = T.dlarray(values(4 * 4 * 4 * 3, 1), [4, 4, 4, 3], "SSSC");
    const Y0 = layer.predict(X);
    const dY = T.dlarray(values(Y0.numel, 2), Y0.size, Y0.format);
    const styles: Array<[string, () => void]> = [
      ["JS arrays", () => layer.backward(X, layer.predict(X))],
      [
        "outputs reused",
        () => {
          layer.predict(X, { out: Y0 });
        },
      ],
      [
        "WasmArrays, disposed",
        () => {
          const Xw = T.wasmArray(X.size, X.format);
          Xw.data.set(X.data);
          const Yw = layer.predict(Xw, { out: "wasm" });
          const g = layer.backward(Xw, dY, { out: "wasm" });
          for (const a of [Xw, Yw, g.dLdX, g.dLdW, g.dLdB]) a.dispose();
        },
      ],
      [
        "WasmArrays, `using`",
        () => {
          using Xw = T.wasmArray(X.size, X.format);
          Xw.data.set(X.data);
          using _Yw = layer.predict(Xw, { out: "wasm" });
        },
      ],
      ["dltranspconv", () => T.dltranspconv(X, layer.weights as Tconv3d.DlArray, 0, { stride: 2 })],
    ];
    for (const [name, call] of styles) {
      for (let i = 0; i < 50; i++) call(); // the allocator's pools reach their size
      const before = bytes();
      for (let i = 0; i < 2_000; i++) call();
      expect(bytes(), name).toBe(before);
    }
  });

  it("`using` frees a WasmArray when its block ends", () => {
    let kept: Tconv3d.WasmArray | undefined;
    {
      using X = T.wasmArray([2, 2, 2, 1], "SSSC");
      kept = X;
      expect(kept.disposed).toBe(false);
    }
    expect(kept?.disposed).toBe(true);
  });

  it("undisposed WasmArrays are bounded by name; JS-array calls keep working", () => {
    const held: Tconv3d.WasmArray[] = [];
    const GiB = 2 ** 28; // float32 elements in 1 GiB
    try {
      held.push(T.wasmArray([GiB]), T.wasmArray([GiB - 1024]));
      const e = (() => {
        try {
          T.wasmArray([1024 * 1024]);
        } catch (err) {
          return err as Error;
        }
        throw new Error("expected a MemoryError");
      })();
      expect(e).toBeInstanceOf(T.MemoryError);
      expect(e.message).toMatch(/2 of them hold 2048\.0 MiB, not disposed; dispose\(\)/);
      const layer = T.transposedConv3dLayer(2, 2);
      const Y = layer.predict(T.dlarray(values(8, 3), [2, 2, 2, 1], "SSSC"));
      expect(Y.size).toEqual([3, 3, 3, 2]);
    } finally {
      for (const a of held) a.dispose();
    }
    // Disposed, they make room again.
    const again = T.wasmArray([1024 * 1024]);
    expect(again.size).toEqual([1048576]);
    again.dispose();
  });
});
