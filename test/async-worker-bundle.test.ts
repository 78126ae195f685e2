// What bundlers need of the async API's worker: the browser entry names it with the literal
// `new Worker(new URL("./worker-web.js", import.meta.url), { type: "module" })` that Vite and
// webpack 5 detect, and the worker's graph bundles into one single-file iife (no top-level
// await, no dynamic import(), no node: module) that does not contain that literal itself (a
// worker naming itself is a cycle Vite refuses). esbuild stands in for the bundler here.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "./runtime-helpers.js";

const DIST = new URL("../packages/tconv3d/dist/", import.meta.url);
const LITERAL = 'new Worker(new URL("./worker-web.js", import.meta.url), {';

beforeAll(() => assertBuilt());

describe("the async API's worker, as a bundler sees it", () => {
  it("the browser side names it with the literal form bundlers detect", () => {
    const spawn = readFileSync(new URL("async/spawn-web.js", DIST), "utf8");
    expect(spawn).toContain(LITERAL);
    expect(spawn).toMatch(/\{\s*type: "module",/);
  });

  it("bundles into one iife: no top-level await, no dynamic import, no node: module, not itself", async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL("async/worker-web.js", DIST))],
      bundle: true,
      format: "iife",
      platform: "browser",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    expect(result.errors).toEqual([]);
    const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports);
    expect(imports.filter((i) => i.kind === "dynamic-import")).toEqual([]);
    expect(imports.filter((i) => i.path.startsWith("node:"))).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.endsWith("async/server.js"))).toBe(true);
    expect(inputs.filter((p) => /spawn-(web|node|workerd)\.js$/.test(p))).toEqual([]);
    const text = result.outputFiles?.[0]?.text ?? "";
    expect(text).not.toContain("./worker-web.js");
  });
});
