// The packed package in users' apps: test/bundlers/app built by Vite (build and dev server),
// esbuild and webpack 5 from a scratch project with the tarball installed, each loaded in
// Chromium with and without cross-origin isolation (COOP/COEP); plus a CDN-style import (the
// package served raw from another origin, as unpkg/jsdelivr serve it) into an isolated page.
// Each checks the forward result against onnxruntime-node and the thread count: 2 where the
// page is isolated (this machine has 2 cores), 1 (with the reason) where it is not.
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import type { Browser } from "playwright-core";
import { type ViteDevServer, build as viteBuild, createServer as viteServer } from "vite";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import webpack from "webpack";
import { launchChromium, pageOutcome } from "./browser/chromium.js";
import { type StaticServer, serveIsolated } from "./browser/server.mjs";
import { values } from "./helpers.js";
import { onnxConvTranspose } from "./oracle/onnx.js";
import { projectWith } from "./package/install.js";

const APP = fileURLToPath(new URL("./bundlers/app/", import.meta.url));
const VALUES = fileURLToPath(new URL("./values.mjs", import.meta.url));

/** The fixture app's files, and the test data module they import, into `dest`. */
function copyApp(dest: string): void {
  cpSync(APP, dest, { recursive: true });
  cpSync(VALUES, join(dest, "values.mjs"));
}
const THREADS = Math.min(availableParallelism(), 8);

interface Case {
  filterSize: [number, number, number];
  numFilters: number;
  stride: [number, number, number];
  cropping: [number, number, number];
  xSize: [number, number, number, number, number];
}
const c = JSON.parse(readFileSync(join(APP, "case.json"), "utf8")) as Case;
const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);

type Outcome =
  | {
      ok: true;
      result: {
        info: { variant: string; threads: number; fallback?: string };
        size: number[];
        y: number[];
        async: { info: { variant: string; threads: number }; same: boolean };
      };
    }
  | { ok: false; error: string };

let browser: Browser;
let expected: { size: number[]; y: Float32Array };
const cleanup: (() => unknown)[] = [];

beforeAll(async () => {
  // MATLAB [W H D C N] "SSSCB" is ONNX [N C D H W]; per-S-axis vectors reverse into D H W.
  const [W, H, D, C, N] = c.xSize;
  const [kW, kH, kD] = c.filterSize;
  const rev = (v: [number, number, number]) => [v[2], v[1], v[0]] as const;
  const crop = rev(c.cropping);
  const got = await onnxConvTranspose({
    x: values(prod(c.xSize), 1),
    xShape: [N, C, D, H, W],
    w: values(kW * kH * kD * c.numFilters * C, 2),
    wShape: [C, c.numFilters, kD, kH, kW],
    b: values(c.numFilters, 3),
    strides: rev(c.stride),
    pads: [...crop, ...crop],
  });
  const [n, f, d, h, w] = got.shape;
  expected = { size: [w, h, d, f, n] as number[], y: got.data };
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const f of cleanup.reverse()) await f();
});

/** A scratch project with the tarball installed and the app's files. */
function project(name: string): string {
  const dir = projectWith(inject("tarball"), name);
  copyApp(dir);
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** esbuild's documented build (README, Bundlers): the app's `entries` (output name → file), the
 * async API's worker as an entry of its own, the package's wasm/ folder copied; into dist/. */
async function esbuildApp(dir: string, entries: Record<string, string>): Promise<void> {
  const out = join(dir, "dist");
  await esbuild({
    entryPoints: {
      ...Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, join(dir, v)])),
      "tconv3d-worker": join(dir, "node_modules/tconv3d/dist/async/worker-web.js"),
    },
    bundle: true,
    format: "esm",
    platform: "browser",
    outdir: out,
    logLevel: "error",
  });
  cpSync(join(dir, "node_modules/tconv3d/wasm"), join(out, "tconv3d-wasm"), { recursive: true });
}

async function serve(
  root: string,
  options: Parameters<typeof serveIsolated>[1] = {},
): Promise<StaticServer> {
  const server = await serveIsolated(root, options);
  cleanup.push(() => server.close());
  return server;
}

type Info = { variant: string; threads: number; fallback?: string };

/** Loads `url`, checks the forward against the oracle and returns the backend it ran on, with
 * what tconv3d printed on the console. */
async function check(url: string): Promise<Info & { notices: string[] }> {
  const { value, errors, console } = await pageOutcome(browser, url, "__tconv3d");
  const o = value as Outcome;
  if (!o.ok) throw new Error(`in the page: ${o.error}`);
  expect(errors).toEqual([]);
  expect(o.result.size).toEqual(expected.size);
  let err = 0;
  for (let i = 0; i < expected.y.length; i++) {
    err = Math.max(err, Math.abs((o.result.y[i] as number) - (expected.y[i] as number)));
  }
  expect(o.result.y.length).toBe(expected.y.length);
  expect(err).toBeLessThan(1e-5);
  // The async API's worker ran the same build on as many threads, bit for bit.
  expect(o.result.async.same).toBe(true);
  expect(o.result.async.info).toMatchObject({
    variant: o.result.info.variant,
    threads: o.result.info.threads,
  });
  return { ...o.result.info, notices: console.filter((m) => m.includes("tconv3d")) };
}

/** Both pages of an app at `origin`: isolated (all threads) and not (one thread, and why). */
async function checkBoth(origin: string, path: string): Promise<void> {
  const isolated = await check(`${origin}${path}`);
  expect(isolated).toMatchObject({ variant: "simd-threads-relaxed", threads: THREADS });
  expect(isolated.fallback).toBeUndefined();
  expect(isolated.notices).toEqual([]);
  const plain = await check(`${origin}/_plain${path}`);
  expect(plain).toMatchObject({ variant: "simd-relaxed", threads: 1 });
  if (THREADS > 1) {
    expect(plain.fallback).toMatch(/not cross-origin isolated/);
    // Once per backend: the page's (init) and the async API worker's (initWorker).
    const notice = `warning: tconv3d: running on 1 thread: ${plain.fallback}`;
    expect(plain.notices).toEqual([notice, notice]);
  }
}

describe("bundlers build the packed package with no tconv3d-specific configuration", () => {
  it("Vite (vite build)", async () => {
    const dir = project("vite");
    await viteBuild({ root: dir, logLevel: "error", configFile: false });
    await checkBoth((await serve(join(dir, "dist"))).origin, "/index.html");
  });

  it("Vite (dev server)", async () => {
    const dir = project("vite-dev");
    const isolation = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
    };
    const server: ViteDevServer = await viteServer({
      root: dir,
      configFile: false,
      logLevel: "error",
      server: { host: "127.0.0.1", port: 0 },
      plugins: [
        {
          // The page is isolated unless asked for under /_plain/ (as the static server does).
          name: "isolation",
          configureServer(s) {
            s.middlewares.use((req, res, next) => {
              if (req.url?.startsWith("/_plain/")) req.url = req.url.slice("/_plain".length);
              else for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
              next();
            });
          },
        },
      ],
    });
    cleanup.push(() => server.close());
    await server.listen();
    const address = server.httpServer?.address();
    if (address === null || typeof address !== "object") throw new Error("no dev server address");
    await checkBoth(`http://127.0.0.1:${address.port}`, "/index.html");
  });

  it("esbuild (--bundle --format=esm --platform=browser, the wasm/ folder copied)", async () => {
    const dir = project("esbuild");
    const out = join(dir, "dist");
    await esbuildApp(dir, { main: "main-esbuild.js" });
    writeFileSync(join(out, "index.html"), '<script type="module" src="./main.js"></script>\n');
    await checkBoth((await serve(out)).origin, "/index.html");
  });

  it("webpack 5 (production)", async () => {
    const dir = project("webpack");
    const out = join(dir, "dist");
    const stats = await new Promise<webpack.Stats>((resolve, reject) =>
      webpack(
        { mode: "production", context: dir, entry: "./main.js", output: { path: out } },
        (error, s) => (error || s === undefined ? reject(error) : resolve(s)),
      ),
    );
    expect(stats.toJson({ all: false, errors: true }).errors).toEqual([]);
    writeFileSync(join(out, "index.html"), '<script src="./main.js"></script>\n');
    await checkBoth((await serve(out)).origin, "/index.html");
  });
});

describe("a CDN-style import: the package raw from another origin", () => {
  it("an isolated page imports it across origins and runs 2 threads", async () => {
    const dir = project("cdn");
    const cdn = await serve(join(dir, "node_modules"), { cdn: true });
    const page = join(dir, "site");
    copyApp(page);
    writeFileSync(
      join(page, "index.html"),
      `<script type="importmap">${JSON.stringify({
        imports: { tconv3d: `${cdn.origin}/tconv3d/dist/browser.js` },
      })}</script>
<script type="module">import { run } from "./app.js"; run();</script>
`,
    );
    const site = await serve(page);
    expect(new URL(cdn.origin).port).not.toBe(new URL(site.origin).port);
    await checkBoth(site.origin, "/index.html");
  });
});

describe("pool workers refused by a Content-Security-Policy (worker-src 'self': no blob:)", () => {
  it("init() falls back to one thread and says why; init({ workerUrl }) runs all threads", async () => {
    const dir = project("csp");
    const out = join(dir, "dist");
    await esbuildApp(dir, {
      "main-esbuild": "main-esbuild.js",
      "main-worker-url": "main-worker-url.js",
    });
    for (const name of ["main-esbuild", "main-worker-url"]) {
      writeFileSync(
        join(out, `${name}.html`),
        `<script type="module" src="./${name}.js"></script>\n`,
      );
    }
    const { origin } = await serve(out, {
      extra: { "Content-Security-Policy": "worker-src 'self'" },
    });
    const refused = await check(`${origin}/main-esbuild.html`);
    expect(refused).toMatchObject({ variant: "simd-relaxed", threads: 1 });
    if (THREADS > 1) {
      expect(refused.fallback).toMatch(/pool worker \d failed to start/);
      const notice = `warning: tconv3d: running on 1 thread: ${refused.fallback}`;
      expect(refused.notices).toEqual([notice, notice]);
    }
    const served = await check(`${origin}/main-worker-url.html`);
    expect(served).toMatchObject({ variant: "simd-threads-relaxed", threads: THREADS });
    expect(served.notices).toEqual([]);
  });
});

describe("a Node app bundled into one file (esbuild --platform=node)", () => {
  it("init() says to pass wasmPaths (no repository hint), and runs all threads once given", async () => {
    const dir = project("node-bundle");
    const out = join(dir, "dist", "app.mjs");
    await esbuild({
      entryPoints: [join(dir, "node-main.js")],
      bundle: true,
      format: "esm",
      platform: "node",
      outfile: out,
      logLevel: "error",
    });
    // The bundle sits where the package's relative paths lead nowhere; its files are copied
    // into the app (a deployment copies them, or points at node_modules).
    const wasm = join(dir, "tconv3d-wasm");
    cpSync(join(dir, "node_modules/tconv3d/wasm"), wasm, { recursive: true });
    rmSync(join(dir, "node_modules"), { recursive: true });
    const run = (...args: string[]) =>
      JSON.parse(execFileSync(process.execPath, [out, ...args], { encoding: "utf8" }));
    const lost = run();
    expect(lost).toMatchObject({ ok: false, name: "BackendError", code: "TCONV3D_INIT" });
    expect(lost.error).toMatch(/cannot read the WebAssembly build .*pass init\(\{ wasmPaths/);
    expect(lost.error).not.toMatch(/scripts|build-wasm|setup/);
    const found = run(wasm);
    expect(found).toMatchObject({ ok: true, info: { variant: "simd-threads", threads: THREADS } });
  });
});
