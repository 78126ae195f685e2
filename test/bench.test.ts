// The scripts behind BENCHMARKS.md still run (a smoke test, not a timing): pnpm bench in its
// quick mode on one shape and pnpm bench:async in its quick mode, each writing its results
// JSON and its part of a BENCHMARKS.md in a scratch folder; then pnpm bench:report renders the
// same file from those results alone. pnpm bench:idle (print only) prints its table. The demo's test is test/demo.test.ts.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

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
  const dir = mkdtempSync(join(tmpdir(), "tconv3d-bench-"));
  const doc = join(dir, "BENCHMARKS.md");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("pnpm bench -- --quick --shapes gan-d: results JSON, then BENCHMARKS.md", async () => {
    const out = await node([
      "--experimental-wasm-relaxed-simd",
      "bench/run.mjs",
      "--quick",
      "--shapes",
      "gan-d",
      "--max-wait",
      "0",
      "--results",
      join(dir, "node.json"),
      "--out",
      doc,
    ]);
    expect(out).toMatch(/^## Forward \(f32\)$/m);
    expect(out).toMatch(/\| gan-d +\| tconv3d simd-threads t2 /);
    // Every implementation's output agreed with the others' (the table's check column).
    expect(out).toMatch(/\| gan-d +\| onnxruntime-node \(native\) t2 .*\| ok +\|$/m);
    expect(out).not.toMatch(/\|\s*\*\*wrong\*\*\s*\|/);
    expect(out).toMatch(/^## Targets$/m);
    expect(out).toContain(readFileSync(doc, "utf8"));
    const results = JSON.parse(readFileSync(join(dir, "node.json"), "utf8"));
    expect(results.shapes.map((r: { shape: { id: string } }) => r.shape.id)).toEqual(["gan-d"]);
    // Raw rounds, at least the quick policy's minimum for every implementation.
    for (const phase of ["fwd", "bwd"]) {
      for (const [key, rounds] of Object.entries(results.shapes[0][phase])) {
        if (key === "$") continue;
        expect((rounds as { times: number[] }).times.length).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it("pnpm bench:async -- --quick: results JSON, then its section of BENCHMARKS.md", async () => {
    const out = await node([
      "bench/async.mjs",
      "--quick",
      "--max-wait",
      "0",
      "--results",
      join(dir, "async.json"),
      "--out",
      doc,
    ]);
    expect(out).toMatch(/^### Responsiveness/m);
    expect(out).toMatch(/outputs of 1 and 2 threads identical/);
    const written = readFileSync(doc, "utf8");
    expect(written).toMatch(/^## Forward \(f32\)$/m);
    expect(written).toMatch(/^<!-- bench:async:start -->\n## Async API in Chromium/m);
  });

  it("pnpm bench:idle -- --shape gan-d --calls 3: a row per pause, 1 and 2 threads", async () => {
    const out = await node(["bench/idle.mjs", "--shape", "gan-d", "--calls", "3"]);
    for (const pause of ["0 ms", "20 ms", "100 ms", "100 ms, then the pool warmed"]) {
      // Both times and the cores kept busy are numbers.
      expect(out).toMatch(
        new RegExp(`^\\| ${pause} +\\| +[0-9.]+ \\| +[0-9.]+ \\| +[0-9.]+× \\| +[0-9.]+ \\|$`, "m"),
      );
    }
  });

  it("pnpm bench:report renders the same BENCHMARKS.md from the results alone", async () => {
    const again = join(dir, "again.md");
    await node(["bench/report.mjs", "--results", dir, "--out", again]);
    expect(readFileSync(again, "utf8")).toBe(readFileSync(doc, "utf8"));
  });
});
