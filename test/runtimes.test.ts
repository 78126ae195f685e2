// The README's quick start (test/runtimes/quickstart.mjs, pasted there verbatim) run as a user
// runs it, against the packed package installed in a scratch project, in every runtime the
// package is for: the Node that runs the tests (20 here), Node 22, Deno and Bun (all three from
// npm: test/runtimes/package.json), Chromium (Debian's, through playwright-core; the same module
// under an import map) and workerd (bundled as wrangler would, under Miniflare). Each must print
// the output that ONNX Runtime's ConvTranspose gives for the same input, the same in every
// runtime (integer data: exact whatever the summation order or fused multiply-adds), and load
// the build expected there: threaded where the runtime has WebAssembly threads and this machine
// more than one core. The commands are a user's:
//
//   node quickstart.mjs
//   deno run --allow-read=node_modules/tconv3d/wasm quickstart.mjs
//   bun quickstart.mjs
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium } from "./browser/chromium.js";
import { serveIsolated } from "./browser/server.mjs";
import { onnxConvTranspose } from "./oracle/onnx.js";
import { projectWith } from "./package/install.js";
import { bundleWorker } from "./workers/bundle.js";

const RUNTIMES = fileURLToPath(new URL("runtimes/", import.meta.url));
const QUICKSTART = join(RUNTIMES, "quickstart.mjs");
const INSTALL =
  "run `pnpm install --frozen-lockfile` at the repository's root (test/runtimes/package.json " +
  "installs it; its install script must be allowed: allowBuilds in pnpm-workspace.yaml)";

/** A runtime's binary from test/runtimes/node_modules, or a clear failure (never a skip). */
function binary(name: string, path: string): string {
  const file = join(RUNTIMES, "node_modules", path);
  if (!existsSync(file)) throw new Error(`${name} is missing (${file}): ${INSTALL}`);
  return file;
}

/** What the quick start printed: its result line and `backendInfo()`. */
interface Printed {
  result: string;
  backend: { variant: string; simd: boolean; relaxedSimd: boolean; threads: number };
}

/** The quick start's two lines from a runtime's output (echoed to the test's log). */
function parse(where: string, output: string): Printed {
  const lines = output.split("\n").filter((l) => l.trim() !== "");
  const [result, info] = lines.slice(-2);
  if (lines.length < 2 || result === undefined || info === undefined) {
    throw new Error(`${where} printed ${JSON.stringify(output)}, not the quick start's two lines`);
  }
  console.info(`${where}: ${result} ${info}`);
  try {
    return { result, backend: JSON.parse(info) };
  } catch {
    throw new Error(`${where}: the second line is not backendInfo() as JSON: ${info}`);
  }
}

/** Runs a command in the scratch project; its stdout, or an error with all it printed. */
function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  // Nothing of vitest's Node options reaches the runtimes.
  delete base.NODE_OPTIONS;
  return new Promise((done, fail) => {
    execFile(
      cmd,
      args,
      { cwd: project, env: { ...base, ...env }, timeout: 30_000, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed ? "did not exit within 30 s" : `failed (${error.message})`;
          fail(
            new Error(`${cmd} ${args.join(" ")} ${why}\nstdout:\n${stdout}\nstderr:\n${stderr}`),
          );
        } else {
          done(stdout);
        }
      },
    );
  });
}

const CORES = availableParallelism();

/** The backend `init()` must pick: the threaded build (relaxed where `relaxed`) on all cores
 * up to 8 where the runtime has threads and the machine more than one core, else one thread. */
function expectBackend(b: Printed["backend"], threads: boolean, relaxed: boolean): void {
  const threaded = threads && CORES > 1;
  expect(b.variant).toBe(`simd${threaded ? "-threads" : ""}${relaxed ? "-relaxed" : ""}`);
  expect(b.simd).toBe(true);
  expect(b.relaxedSimd).toBe(relaxed);
  if (threaded) {
    expect(b.threads).toBeGreaterThan(1);
    expect(b.threads).toBeLessThanOrEqual(Math.min(8, CORES));
  } else {
    expect(b.threads).toBe(1);
  }
}

let project: string;
/** The quick start's first line, from ONNX Runtime. */
let expected: string;

beforeAll(async () => {
  // The quick start's input and layer in ONNX's layouts: the "SSSC" [4 4 4 3] array is the
  // row-major [N=1, C=3, D, H, W] tensor; weights all ones, [Cin=3, Cout=2, 3, 3, 3].
  const y = await onnxConvTranspose({
    x: Float32Array.from({ length: 4 * 4 * 4 * 3 }, (_, i) => i % 5),
    xShape: [1, 3, 4, 4, 4],
    w: new Float32Array(3 * 2 * 27).fill(1),
    wShape: [3, 2, 3, 3, 3],
    strides: [2, 2, 2],
    pads: [1, 1, 1, 1, 1, 1],
  });
  const [, F, D, H, W] = y.shape;
  let sum = 0;
  let sumSq = 0;
  for (const v of y.data) {
    sum += v;
    sumSq += v * v;
  }
  expected = `${W}x${H}x${D}x${F} SSSC ${sum} ${sumSq}`;

  project = projectWith(inject("tarball"), "runtimes");
  // A user's project: Deno resolves "tconv3d" from node_modules only for a package.json's
  // dependency.
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ private: true, type: "module", dependencies: { tconv3d: "*" } }),
  );
  copyFileSync(QUICKSTART, join(project, "quickstart.mjs"));
});

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

describe("the README's quick start", () => {
  it("is in the README, verbatim", () => {
    const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
    expect(readme).toContain(`\`\`\`ts\n${readFileSync(QUICKSTART, "utf8")}\`\`\``);
  });

  it("says in its comment what it prints: ONNX Runtime's result", () => {
    const line = readFileSync(QUICKSTART, "utf8")
      .split("\n")
      .find((l) => l.startsWith("console.log(Y.size"));
    expect(line?.replace(/^.*\/\/ /, "")).toBe(expected);
  });

  const node = process.versions.node;
  it(`Node ${node} (the one running the tests): threads, relaxed SIMD from Node 22`, async () => {
    const p = parse(`node ${node}`, await run(process.execPath, ["quickstart.mjs"]));
    expect(p.result).toBe(expected);
    expectBackend(p.backend, true, Number(node.split(".")[0]) >= 22);
  });

  it("Node 22 (npm's node@22): threads and relaxed SIMD", async () => {
    const bin = binary("Node 22", "node/bin/node");
    expect(await run(bin, ["--version"])).toMatch(/^v22\./);
    const p = parse("node 22", await run(bin, ["quickstart.mjs"]));
    expect(p.result).toBe(expected);
    expectBackend(p.backend, true, true);
  });

  it("Deno (reads nothing but the package's wasm/): threads and relaxed SIMD, and exits", async () => {
    const bin = binary("Deno", "deno/deno");
    const args = ["run", "--no-prompt", "--allow-read=node_modules/tconv3d/wasm", "quickstart.mjs"];
    const env = { DENO_DIR: join(project, ".deno"), DENO_NO_UPDATE_CHECK: "1" };
    const p = parse("deno", await run(bin, args, env));
    expect(p.result).toBe(expected);
    expectBackend(p.backend, true, true);
  });

  it("Bun: threads and relaxed SIMD", async () => {
    const bin = binary("Bun", "bun/bin/bun.exe");
    const p = parse("bun", await run(bin, ["quickstart.mjs"]));
    expect(p.result).toBe(expected);
    expectBackend(p.backend, true, true);
  });

  it("Chromium, the same module under an import map on a cross-origin-isolated page", async () => {
    writeFileSync(
      join(project, "index.html"),
      '<!doctype html>\n<script type="importmap">{"imports": {"tconv3d": ' +
        '"/node_modules/tconv3d/dist/browser.js"}}</script>\n' +
        '<script type="module" src="/quickstart.mjs"></script>\n',
    );
    const server = await serveIsolated(project);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const printed = new Promise<string>((done, fail) => {
        const lines: string[] = [];
        page.on("pageerror", (e) => fail(new Error(`in the page: ${e.message}`)));
        page.on("console", (m) => {
          if (m.type() === "log") lines.push(m.text());
          if (lines.length === 2) done(lines.join("\n"));
        });
        setTimeout(() => fail(new Error(`the page printed ${JSON.stringify(lines)}`)), 30_000);
      });
      await page.goto(`${server.origin}/index.html`);
      const p = parse("chromium", await printed);
      expect(p.result).toBe(expected);
      expectBackend(p.backend, true, true);
    } finally {
      await browser.close();
      await server.close();
    }
  });

  it("workerd (Miniflare), bundled as wrangler would: one thread, the simd build", async () => {
    const out = join(project, "worker");
    mkdirSync(out);
    // A Worker that runs the quick start when workerd loads it.
    writeFileSync(
      join(project, "worker.mjs"),
      'import "./quickstart.mjs";\nexport default { fetch: () => new Response("ran") };\n',
    );
    const modules = await bundleWorker(join(project, "worker.mjs"), out, project);
    let stdout = "";
    const mf = new Miniflare({
      modules,
      modulesRoot: out,
      compatibilityDate: "2025-01-01",
      handleRuntimeStdio(o: NodeJS.ReadableStream) {
        o.on("data", (chunk: Buffer) => {
          stdout += chunk.toString("utf8");
        });
      },
    });
    try {
      expect(await (await mf.dispatchFetch("http://worker/")).text()).toBe("ran");
      const p = parse("workerd", stdout);
      expect(p.result).toBe(expected);
      expectBackend(p.backend, false, false);
    } finally {
      await mf.dispose();
    }
  });
});
