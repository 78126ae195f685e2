// The package as published: the tarball's contents, publint --strict, and
// @arethetypeswrong/cli on it. One attw rule is ignored: "CJSResolvesToESM" — the package is
// ESM-only, and require("tconv3d") works where the package runs (Node >= 20.19, the engines
// range, loads ES modules without top-level await through require); the last test proves it.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import ts from "typescript";
import { describe, expect, inject, it } from "vitest";
import { projectWith } from "./install.js";

const tarball = inject("tarball");

function files(): string[] {
  return execFileSync("tar", ["tzf", tarball], { encoding: "utf8" })
    .split("\n")
    .filter((f) => f !== "")
    .map((f) => f.replace(/^package\//, ""));
}

describe("the packed package", () => {
  it("ships the README, both licences, the compiled code and the four builds", () => {
    const list = files();
    for (const f of [
      "README.md",
      "LICENSE-MIT",
      "LICENSE-APACHE",
      "package.json",
      "dist/node.js",
      "dist/browser.js",
      "dist/workerd.js",
      "dist/index.d.ts",
      "wasm/module.d.ts",
      "wasm/simd-threads/pool-worker.js",
      ...["simd", "simd-threads", "simd-relaxed", "simd-threads-relaxed"].map(
        (v) => `wasm/${v}/tconv3d_wasm_bg.wasm`,
      ),
    ]) {
      expect(list, f).toContain(f);
    }
    // Tests and TypeScript sources stay out; source maps carry their sources inline.
    expect(list.filter((f) => f.includes(".test."))).toEqual([]);
    const sources = list.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
    // `.d.wasm.ts`: declarations of the .wasm files, not sources.
    expect(sources.filter((f) => !f.endsWith(".d.wasm.ts"))).toEqual([]);
  });

  it("source maps resolve: every map embeds the sources it names", () => {
    const dir = projectWith(tarball, "maps");
    const maps = files().filter((f) => f.endsWith(".js.map"));
    expect(maps.length).toBeGreaterThan(10);
    for (const f of maps) {
      const map = JSON.parse(readFileSync(join(dir, "node_modules/tconv3d", f), "utf8"));
      expect(map.sourcesContent?.length, f).toBe(map.sources.length);
      expect(
        map.sourcesContent.every((s: unknown) => typeof s === "string" && s.length > 0),
        f,
      ).toBe(true);
    }
  });

  it("publint --strict finds nothing", async () => {
    const bytes = readFileSync(tarball);
    const { messages, pkg } = await publint({
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) },
      strict: true,
    });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`)).toEqual([]);
  });

  it("@arethetypeswrong/cli finds no problem but the documented one", () => {
    let out: string;
    try {
      out = execFileSync("pnpm", ["exec", "attw", tarball, "--format", "json"], {
        encoding: "utf8",
      });
    } catch (e) {
      // attw exits 1 when it finds problems; its JSON is on stdout either way.
      out = (e as { stdout: string }).stdout;
    }
    const { problems } = JSON.parse(out) as { problems: Record<string, unknown[]> };
    expect(Object.keys(problems).filter((kind) => kind !== "CJSResolvesToESM")).toEqual([]);
  });

  it("require('tconv3d') works in Node >= 20.19 (the engines range)", () => {
    const dir = projectWith(tarball, "cjs");
    const out = execFileSync(
      process.execPath,
      [
        "-e",
        'const t = require("tconv3d"); t.init({ threads: 1 }).then((i) => console.log(i.variant));',
      ],
      { cwd: dir, encoding: "utf8" },
    );
    expect(out.trim()).toBe("simd");
  });
});

describe("the packed package's types in a user's TypeScript project", () => {
  // What a Workers or browser project writes; checked with the package resolved through its
  // package.json (exports and their `types` conditions), as tsc resolves it for users.
  const APP = `import { type BackendInfo, type DlArray, dlarray, init, transposedConv3dLayer } from "tconv3d";
import wasm from "tconv3d/wasm/simd/tconv3d_wasm_bg.wasm";

const module: WebAssembly.Module = wasm;
export async function run(): Promise<[BackendInfo, DlArray<Float32Array>]> {
  const info = await init({ module });
  const layer = transposedConv3dLayer(3, 2, { stride: 2 });
  return [info, layer.predict(dlarray(new Float32Array(8 * 3), [2, 2, 2, 3], "SSSC"))];
}
`;

  for (const moduleResolution of ["NodeNext", "Bundler"] as const) {
    it(`type-checks under moduleResolution ${moduleResolution}, the .wasm import included`, () => {
      const dir = projectWith(tarball, "types");
      writeFileSync(join(dir, "app.ts"), APP);
      writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
      const program = ts.createProgram([join(dir, "app.ts")], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
        module: moduleResolution === "NodeNext" ? ts.ModuleKind.NodeNext : ts.ModuleKind.ESNext,
        moduleResolution:
          moduleResolution === "NodeNext"
            ? ts.ModuleResolutionKind.NodeNext
            : ts.ModuleResolutionKind.Bundler,
        types: [],
      });
      const errors = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      expect(errors).toEqual([]);
    });
  }
});
