import { describe, expect, it } from "vitest";
import { expectThrows } from "../../../../test/helpers.js";
import * as E from "../errors.js";
import { parseCropping, parseVec3 } from "./options.js";

describe("exported validators", () => {
  it("parseVec3 and parseCropping take the caller's name", () => {
    expect(parseVec3(2, "Stride", "dltranspconv")).toEqual([2, 2, 2]);
    expectThrows(
      E,
      () => parseVec3(0, "Stride", "dltranspconv"),
      "TCONV3D_ARGUMENT",
      /^dltranspconv: Stride/,
    );
    expect(parseCropping([2], "dltranspconv")).toEqual({
      mode: "manual",
      begin: [2, 2, 2],
      end: [2, 2, 2],
    });
    expectThrows(
      E,
      () => parseCropping("full", "dltranspconv"),
      "TCONV3D_ARGUMENT",
      /^dltranspconv: Cropping/,
    );
  });
});
