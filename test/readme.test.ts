// Every ```ts (or ```typescript) block of README.md type-checks against the built package as a
// module of a user's strict project (the repository's compiler options; "tconv3d" is
// packages/tconv3d/dist/index.d.ts), each block on its own. A failure names the README line.
// A block that is deliberately partial can opt out with an explicit info string, ```ts ignore;
// otherwise a block declares what it uses from outside (`declare const x: Float32Array;`).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "./runtime-helpers.js";
import { type Diagnostic, typecheck } from "./typecheck.js";

const README = fileURLToPath(new URL("../README.md", import.meta.url));

/** A fenced block: its first code line in the README (1-based) and its code. */
interface Block {
  readonly line: number;
  readonly code: string;
}

/** The README's TypeScript blocks, without those marked `ignore`. */
function typescriptBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*(\S*)(.*)$/.exec(lines[i] as string);
    if (open === null) continue;
    const [, fence, lang, rest] = open as unknown as [string, string, string, string];
    // Closed by a fence of the same character, at least as long, with no info string.
    const closing = new RegExp(`^${fence[0]}{${fence.length},}\\s*$`);
    const end = lines.findIndex((l, j) => j > i && closing.test(l));
    const close = end === -1 ? lines.length : end;
    const words = rest.trim().split(/\s+/);
    if ((lang === "ts" || lang === "typescript") && !words.includes("ignore")) {
      blocks.push({ line: i + 2, code: lines.slice(i + 1, close).join("\n") });
    }
    i = close;
  }
  return blocks;
}

const blocks = typescriptBlocks(readFileSync(README, "utf8"));
let dir = "";
let errors: Map<number, Diagnostic[]>;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(`${tmpdir()}/tconv3d-readme-`);
  // ES modules (top-level await), as the README's imports are.
  writeFileSync(`${dir}/package.json`, '{ "type": "module" }\n');
  // What a Workers (wrangler) or bundler project declares: a .wasm import is a compiled module.
  const env = `${dir}/env.d.ts`;
  writeFileSync(
    env,
    'declare module "*.wasm" {\n  const module: WebAssembly.Module;\n  export default module;\n}\n',
  );
  const files = blocks.map((b) => {
    const file = `${dir}/readme-line-${b.line}.ts`;
    // `export {}`: a module even without an import, so that blocks do not share names.
    writeFileSync(file, `${b.code}\nexport {};\n`);
    return file;
  });
  errors = new Map(blocks.map((b) => [b.line, []]));
  for (const d of typecheck(files, [env])) {
    const m = /readme-line-(\d+)\.ts$/.exec(d.file);
    const at = m === null ? undefined : errors.get(Number(m[1]));
    // Outside the blocks (the package's declarations, the environment): every block's problem.
    if (at === undefined) for (const list of errors.values()) list.push(d);
    else at.push(d);
  }
});

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("README.md's TypeScript blocks type-check", () => {
  it("has blocks to check", () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks.map((b) => [b.line, b] as const))("the block at line %i", (_, block) => {
    const found = (errors.get(block.line) ?? []).map((d) =>
      d.file.endsWith(`readme-line-${block.line}.ts`)
        ? `README.md:${block.line + d.line - 1}:${d.column} - TS${d.code}: ${d.message}`
        : `${d.file}:${d.line}:${d.column} - TS${d.code}: ${d.message}`,
    );
    expect(found.join("\n")).toBe("");
  });
});

describe("typescriptBlocks", () => {
  it("finds ts and typescript blocks, with their first line, and skips `ts ignore` ones", () => {
    const md = [
      "# t", //                         1
      "```ts", //                       2
      "const a = 1;", //                3
      "```", //                         4
      "```sh", //                       5
      "ls", //                          6
      "```", //                         7
      "```typescript", //               8
      "const b = 2;", //                9
      "const c = 3;", //                10
      "```", //                         11
      "```ts ignore", //                12
      "const d: number = 'x';", //      13
      "```", //                         14
      "````ts", //                      15
      "```", //                         16
      "````", //                        17
    ].join("\n");
    expect(typescriptBlocks(md)).toEqual([
      { line: 3, code: "const a = 1;" },
      { line: 9, code: "const b = 2;\nconst c = 3;" },
      { line: 16, code: "```" },
    ]);
  });
});
