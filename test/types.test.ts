// The type tests (types.test-d.ts: mistakes that must not compile, good calls that must, and
// the result types) checked against the built package's declarations, as a user's project
// sees them. A `@ts-expect-error` line that compiles is itself an error (TS2578 "Unused
// '@ts-expect-error' directive"), so both directions are checked.
import { fileURLToPath } from "node:url";
import { beforeAll, expect, it } from "vitest";
import { assertBuilt } from "./runtime-helpers.js";
import { format, typecheck } from "./typecheck.js";

beforeAll(() => {
  assertBuilt();
});

it("types.test-d.ts compiles, and every line marked @ts-expect-error fails", () => {
  const errors = typecheck([fileURLToPath(new URL("types.test-d.ts", import.meta.url))]);
  expect(format(errors)).toBe("");
});
