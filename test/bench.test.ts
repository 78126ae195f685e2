// The scripts behind BENCHMARKS.md still run (a smoke test, not a timing): pnpm bench in its
// quick mode on one shape and pnpm bench:async in its quick mode. They print their results and
// write nothing (--out -). The demo's test is test/demo.test.ts.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function node(args: string[]): Promise<string> {
  return new Promise((done, fail) =>
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, timeout: 120_000, encoding: "utf8", maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        error ? fail(new Error(`${args.join(" ")}: ${error.message}\n${stderr}`)) : done(stdout),
    ),
  );
}

describe("benchmark scripts", () => {
  it("pnpm bench -- --quick --shapes gan-d --out -", async () => {
    const out = await node([
      "--experimental-wasm-relaxed-simd",
      "bench/run.mjs",
      "--quick",
      "--shapes",
      "gan-d",
      "--max-wait",
      "0",
      "--out",
      "-",
    ]);
    expect(out).toMatch(/^## Forward \(f32\)$/m);
    expect(out).toMatch(/\| gan-d +\| tconv3d simd-threads t2 /);
    // Every implementation's output agreed with the others' (the table's check column).
    expect(out).toMatch(/\| gan-d +\| onnxruntime-node \(native\) t2 .*\| ok +\|$/m);
    expect(out).not.toMatch(/\|\s*\*\*wrong\*\*\s*\|/);
  });

  it("pnpm bench:async -- --quick --out -", async () => {
    const out = await node(["bench/async.mjs", "--quick", "--max-wait", "0", "--out", "-"]);
    expect(out).toMatch(/^### Responsiveness/m);
    expect(out).toMatch(/outputs of 1 and 2 threads identical/);
  });
});
