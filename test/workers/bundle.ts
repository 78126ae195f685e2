// Bundles a Worker as wrangler does (esbuild, the workerd/worker/browser conditions, each
// imported .wasm kept as a compiled-module import: wrangler's CompiledWasm rule) and lists
// the modules Miniflare needs to run it.
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import { Miniflare } from "miniflare";

/** Each .wasm file becomes a module named by its variant's folder and file, imported by that
 * name from the bundle (which sits beside it in `outdir`). */
function wasmModules(outdir: string): Plugin {
  return {
    name: "compiled-wasm",
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, async (args) => {
        const file = args.path.startsWith(".")
          ? resolve(args.resolveDir, args.path)
          : (await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir })).path;
        const name = `${basename(dirname(file))}-${basename(file)}`;
        copyFileSync(file, join(outdir, name));
        return { path: `./${name}`, external: true };
      });
    },
  };
}

/** Miniflare's module list for a bundled Worker. */
export type WorkerModules = (
  | { type: "ESModule"; path: string }
  | { type: "CompiledWasm"; path: string }
)[];

/** Bundles `entry` into `outdir/worker.js` (resolving packages from `workingDir`). */
export async function bundleWorker(
  entry: string,
  outdir: string,
  workingDir?: string,
): Promise<WorkerModules> {
  await build({
    entryPoints: [entry],
    ...(workingDir === undefined ? {} : { absWorkingDir: workingDir }),
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    outfile: join(outdir, "worker.js"),
    plugins: [wasmModules(outdir)],
    logLevel: "error",
  });
  return [
    { type: "ESModule", path: join(outdir, "worker.js") },
    ...readdirSync(outdir)
      .filter((f) => f.endsWith(".wasm"))
      .map((f) => ({ type: "CompiledWasm" as const, path: join(outdir, f) })),
  ];
}

/** A bundled Worker running in workerd, and how to stop it (and remove its bundle). */
export interface RunningWorker {
  readonly mf: Miniflare;
  close(): Promise<void>;
}

/** Bundles `entry` as wrangler would into a scratch folder and starts it under Miniflare. */
export async function startWorker(entry: string): Promise<RunningWorker> {
  const out = mkdtempSync(join(tmpdir(), "tconv3d-worker-"));
  try {
    const mf = new Miniflare({
      modules: await bundleWorker(entry, out),
      modulesRoot: out,
      compatibilityDate: "2025-01-01",
    });
    await mf.ready;
    return {
      mf,
      async close() {
        await mf.dispose();
        rmSync(out, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(out, { recursive: true, force: true });
    throw e;
  }
}
