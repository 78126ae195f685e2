// What the WASM core and its glue throw, in the package's hierarchy: each family of the core's
// messages (crates/tconv3d-core/src/geometry.rs, crates/tconv3d-wasm/src/compute.rs, the
// wasm-bindgen glue) gets its class and code, keeps its message under the caller's name and the
// original as cause; a trap or an unknown message is a BackendError TCONV3D_INTERNAL.
import { describe, expect, it } from "vitest";
import { expectError } from "../../../../test/helpers.js";
import type { Tconv3dErrorCode } from "../errors.js";
import * as E from "../errors.js";
import { callCore, coreError } from "./core-errors.js";

const CASES: Array<[string, Tconv3dErrorCode]> = [
  [
    "cannot allocate 1073741823 elements (4294967292 bytes) in WASM memory: it cannot grow that far (4 GiB at most, shared by every array and buffer)",
    "TCONV3D_MEMORY",
  ],
  ["the output size is too large for this address space", "TCONV3D_MEMORY"],
  ["null pointer passed to rust", "TCONV3D_DISPOSED"],
  ["attempted to take ownership of Rust value while it was borrowed", "TCONV3D_DISPOSED"],
  ["expected instance of BufferF32", "TCONV3D_ARGUMENT"],
  [
    "Cropping along spatial dimension 1 is 3+1; expected less than the uncropped output length 4",
    "TCONV3D_SIZE",
  ],
  ["input size along spatial dimension 2 is 0; expected a positive integer", "TCONV3D_SIZE"],
  ["batch size is 0; expected a positive integer", "TCONV3D_SIZE"],
  ["NumChannels is 3; expected a multiple of NumGroups (2)", "TCONV3D_SIZE"],
  ["X holds 10 elements; expected 12", "TCONV3D_SIZE"],
  ["Stride along spatial dimension 1 is 0; expected a positive integer", "TCONV3D_ARGUMENT"],
  [
    "Cropping at the start of spatial dimension 1 is -1; expected a nonnegative integer",
    "TCONV3D_ARGUMENT",
  ],
  ["FilterSize must hold 3 values, got 2", "TCONV3D_ARGUMENT"],
  ["Y strides map two elements to one place; expected a one-to-one layout", "TCONV3D_ARGUMENT"],
  ["dimension order [0, 0, 1, 2, 3] is not a permutation of 0..5", "TCONV3D_ARGUMENT"],
  [
    "OutputPadding along spatial dimension 2 is 3; expected less than its Stride (3) or its DilationFactor (1)",
    "TCONV3D_ARGUMENT",
  ],
  [
    'OutputPadding needs manual cropping; Cropping "same" already fixes the output length (n*stride)',
    "TCONV3D_ARGUMENT",
  ],
];

describe("coreError", () => {
  it.each(CASES)("%s", (message, code) => {
    const original = new Error(message);
    const e = coreError(original, "dltranspconv");
    expectError(E, e, code);
    expect(e.message).toBe(`dltranspconv: ${message}`);
    expect(e.cause).toBe(original);
  });

  it("a message no rule knows is internal: a bug", () => {
    const e = coreError(new Error("something the core has never said"), "predict");
    expectError(E, e, "TCONV3D_INTERNAL");
    expect(e.message).toBe(
      "predict: internal error (something the core has never said); this is a bug",
    );
  });

  it("a trap is internal, and says the module may be unusable", () => {
    const e = coreError(new WebAssembly.RuntimeError("unreachable"), "predict");
    expectError(E, e, "TCONV3D_INTERNAL");
    expect(e.message).toMatch(/^predict: the WebAssembly core trapped \(unreachable\)/);
  });

  it("the package's own errors pass through unchanged", () => {
    const own = new E.SizeError("dlarray: data has 3 elements");
    expect(coreError(own, "predict")).toBe(own);
    expect(() =>
      callCore("predict", () => {
        throw own;
      }),
    ).toThrow(own);
  });

  it("callCore returns what its body returns, and translates what it throws", () => {
    expect(callCore("f", () => 42)).toBe(42);
    const e = (() => {
      try {
        callCore("wasmArray: size [9]", () => {
          throw new Error("cannot allocate 9 elements");
        });
      } catch (err) {
        return err;
      }
    })();
    expectError(E, e, "TCONV3D_MEMORY");
    expect((e as Error).message).toBe("wasmArray: size [9]: cannot allocate 9 elements");
  });
});
