/**
 * Loading the WebAssembly backend: feature detection, choice of variant and instantiation; the
 * threaded variants then start their worker pool (`pool.ts`).
 *
 * @module
 */

import * as simdGlue from "../../wasm/simd/tconv3d_wasm.js";
// Both glues are imported statically (no code splitting), so that a bundler can put the
// package into a single-file (iife) worker.
import * as threadsGlue from "../../wasm/simd-threads/tconv3d_wasm.js";
import { ArgumentError, BackendError } from "../errors.js";
import { currentBackend, makeRuntime, setBackend, type WasmRuntime } from "./backend.js";
import { detectFeatures } from "./detect.js";
import type { Host } from "./host.js";
import { startPool } from "./pool.js";

/**
 * The compiled variants of the WebAssembly backend: single-threaded or with a thread pool, each
 * also built with relaxed SIMD (its multiply-adds fused where the hardware can).
 */
export type Variant = "simd" | "simd-threads" | "simd-relaxed" | "simd-threads-relaxed";

const VARIANTS: readonly Variant[] = [
  "simd",
  "simd-threads",
  "simd-relaxed",
  "simd-threads-relaxed",
];

/** Whether a variant runs a thread pool, and whether it needs relaxed SIMD. */
function traits(v: Variant): { threaded: boolean; relaxed: boolean } {
  return { threaded: v.startsWith("simd-threads"), relaxed: v.endsWith("-relaxed") };
}

function variantOf(threaded: boolean, relaxed: boolean): Variant {
  return `simd${threaded ? "-threads" : ""}${relaxed ? "-relaxed" : ""}` as Variant;
}

/** Where the `.wasm` builds are: a folder laid out like the package's `wasm/`, or one URL per build. */
export type WasmPaths = string | URL | Partial<Record<Variant, string | URL>>;

/** Options of {@link init}. */
export interface InitOptions {
  /**
   * Number of pool threads for the threaded variants. `"auto"` (the default) uses the
   * number of logical processors (`os.availableParallelism()` in Node,
   * `navigator.hardwareConcurrency` in browsers), capped at 8. `1` selects a
   * single-threaded variant unless `variant` says otherwise.
   */
  threads?: number | "auto";
  /**
   * Which build to load. `"auto"` (the default) picks `simd-threads` when the runtime supports
   * WebAssembly threads (SharedArrayBuffer, Atomics, shared wasm memory and, in browsers,
   * `crossOriginIsolated`) and more than one thread is wanted, and `simd` otherwise; in its
   * `-relaxed` build when the runtime supports relaxed SIMD (Chrome 114+, Node 22+; Node 20
   * with `--experimental-wasm-relaxed-simd`). Results of the relaxed builds may differ from the
   * others in the last bits (fused multiply-adds round once). With `"auto"`, a pool whose
   * workers cannot start (a Content-Security-Policy, say) falls back to one thread, with one
   * console warning and {@link BackendInfo.fallback} saying why.
   */
  variant?: "auto" | Variant;
  /**
   * The `.wasm` of the chosen variant, for hosts that cannot fetch or read it from the package
   * (Cloudflare Workers import it): a compiled `WebAssembly.Module`, its bytes, or its URL.
   * The variant is then read from the module itself (the threaded builds import their memory,
   * and each build says whether it is relaxed).
   */
  module?: WebAssembly.Module | BufferSource | URL;
  /**
   * Where the `.wasm` files are, when they are not beside the package's code (a bundler that
   * does not emit them, a CDN): the URL (or, in Node, the path) of a folder laid out like the
   * package's `wasm/` folder (`<wasmPaths>/simd/tconv3d_wasm_bg.wasm`, ...), or a URL per
   * variant (`{ "simd": "/assets/simd.wasm", ... }`), like onnxruntime-web's
   * `env.wasm.wasmPaths`. Relative URLs resolve against the page.
   */
  wasmPaths?: WasmPaths;
  /**
   * The pool worker's script (a copy of the package's `wasm/simd-threads/pool-worker.js`) for
   * pages whose Content-Security-Policy refuses `blob:` workers; by default the pool workers
   * start from a `blob:` (browsers) or `data:` (Node) URL of the same text, so no file has to
   * be served.
   */
  workerUrl?: string | URL;
}

/** What {@link init} loaded. */
export interface BackendInfo {
  /** The variant that runs. */
  variant: Variant;
  /** The loaded build uses SIMD128 (always `true`: every variant needs it). */
  simd: boolean;
  /** The loaded build uses relaxed-SIMD instructions (a `-relaxed` variant). */
  relaxedSimd: boolean;
  /** Threads that run parallel work: rayon's pool size, 1 for `simd`. */
  threads: number;
  /**
   * Why the backend runs on fewer threads than asked for (`init()` with `variant: "auto"`):
   * the page is not cross-origin isolated, the runtime lacks WebAssembly threads, or the pool
   * workers did not start. Absent when nothing fell back.
   */
  fallback?: string;
}

const MAX_AUTO_THREADS = 8;

interface Request {
  threads: number | "auto";
  variant: "auto" | Variant;
}

let host: Host | undefined;
let pending: { request: Request; promise: Promise<BackendInfo> } | undefined;

/**
 * Installs the environment's half of the loader; the package's entry points call it (the first
 * one imported wins).
 *
 * @internal
 */
export function useHost(environment: Host): void {
  host ??= environment;
}

/**
 * Loads the WebAssembly backend; call it (and await it) once before any computation.
 *
 * Idempotent: later calls without options, or with the same options, return the same
 * {@link BackendInfo}. Asking for another variant or thread count after the first call throws,
 * since a loaded backend (and its thread pool) cannot be replaced.
 *
 * @throws ArgumentError for malformed options; BackendError (`TCONV3D_INIT`) if the runtime
 *   lacks WebAssembly SIMD128, if `variant: "simd-threads"` is asked for where threads are
 *   unavailable, if the `.wasm` cannot be found, or on a conflicting re-initialisation.
 */
export function init(options: InitOptions = {}): Promise<BackendInfo> {
  let request: Request;
  try {
    request = normalizeRequest(options);
  } catch (error) {
    return Promise.reject(error);
  }
  if (pending !== undefined) {
    const info = currentBackend()?.info;
    if (!sameRequest(request, pending.request, info)) {
      return Promise.reject(
        new BackendError(
          "TCONV3D_INIT",
          `tconv3d: init() was already called with ${describe(pending.request)}` +
            (info ? ` (loaded ${info.variant} with ${info.threads} thread(s))` : "") +
            `; re-initialising with ${describe(request)} is not supported`,
        ),
      );
    }
    return pending.promise;
  }
  const promise = load(request, options).then(
    (runtime) => {
      setBackend(runtime);
      return runtime.info;
    },
    (error: unknown) => {
      // Nothing global was set up (a failure after the pool started is not recoverable
      // anyway): allow another attempt.
      pending = undefined;
      throw error;
    },
  );
  pending = { request, promise };
  return promise;
}

/**
 * What {@link init} loaded.
 *
 * @throws BackendError (`TCONV3D_NOT_INITIALIZED`) before `init()` has completed.
 */
export function backendInfo(): BackendInfo {
  const loaded = currentBackend();
  if (loaded === undefined) {
    throw new BackendError(
      "TCONV3D_NOT_INITIALIZED",
      "tconv3d: backendInfo() is not available before await init()",
    );
  }
  return { ...loaded.info };
}

// ---------------------------------------------------------------------------------------------

function isLocation(v: unknown): v is string | URL {
  return typeof v === "string" || v instanceof URL;
}

function normalizeRequest(options: InitOptions): Request {
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`tconv3d: init(options) takes an object, got ${String(options)}`);
  }
  const threads = options.threads ?? "auto";
  if (threads !== "auto" && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new ArgumentError(
      `tconv3d: init({ threads }) must be "auto" or an integer 1..256, got ${String(threads)}`,
    );
  }
  const variant = options.variant ?? "auto";
  if (variant !== "auto" && !VARIANTS.includes(variant)) {
    throw new ArgumentError(
      `tconv3d: init({ variant }) must be "auto" or one of ${VARIANTS.map((v) => `"${v}"`).join(", ")}, got ${String(variant)}`,
    );
  }
  if (
    variant !== "auto" &&
    !traits(variant).threaded &&
    typeof threads === "number" &&
    threads > 1
  ) {
    throw new ArgumentError(
      `tconv3d: variant "${variant}" is single-threaded; asked for ${threads} threads (use "${variantOf(true, traits(variant).relaxed)}")`,
    );
  }
  const paths = options.wasmPaths;
  if (
    paths !== undefined &&
    !isLocation(paths) &&
    (typeof paths !== "object" ||
      paths === null ||
      Object.entries(paths).some(([k, v]) => !VARIANTS.includes(k as Variant) || !isLocation(v)))
  ) {
    throw new ArgumentError(
      `tconv3d: init({ wasmPaths }) must be a folder's URL or path, or an object mapping variants (${VARIANTS.join(", ")}) to URLs, got ${JSON.stringify(paths)}`,
    );
  }
  if (options.workerUrl !== undefined && !isLocation(options.workerUrl)) {
    throw new ArgumentError(
      `tconv3d: init({ workerUrl }) must be a URL, got ${String(options.workerUrl)}`,
    );
  }
  return { threads, variant };
}

function sameRequest(a: Request, first: Request, info: BackendInfo | undefined): boolean {
  const threadsOk =
    a.threads === "auto" ||
    a.threads === first.threads ||
    (info !== undefined && a.threads === info.threads);
  const variantOk =
    a.variant === "auto" ||
    a.variant === first.variant ||
    (info !== undefined && a.variant === info.variant);
  return threadsOk && variantOk;
}

function describe(r: Request): string {
  return `{ variant: ${JSON.stringify(r.variant)}, threads: ${JSON.stringify(r.threads)} }`;
}

function initError(message: string, cause?: unknown): BackendError {
  return new BackendError("TCONV3D_INIT", `tconv3d: ${message}`, { cause });
}

async function load(request: Request, options: InitOptions): Promise<WasmRuntime> {
  if (host === undefined) {
    throw initError(
      'no environment was installed: import the package as "tconv3d" (its entry points pick ' +
        "Node, browser or Workers code), not a file inside its dist/ folder",
    );
  }
  const env = host;
  const features = detectFeatures(env.needsIsolation);
  if (!features.simd) {
    throw initError(
      "this WebAssembly runtime does not support SIMD128 (fixed-width SIMD), which every " +
        "tconv3d build needs (Chrome/Edge 91+, Firefox 89+, Safari 16.4+, Node 16.4+)",
    );
  }
  const threads =
    request.threads === "auto"
      ? Math.max(1, Math.min(MAX_AUTO_THREADS, env.hardwareThreads()))
      : request.threads;

  const given = options.module ?? env.bundledModule();
  let module: WebAssembly.Module | undefined;
  let threaded: boolean;
  let relaxed: boolean;
  let fallback: string | undefined;
  if (given !== undefined) {
    module = await compileSource(given);
    // Relaxed or not is known once instantiated (`variant_relaxed`); compiling succeeded, so
    // the runtime takes it either way.
    threaded = importsMemory(module);
    relaxed = request.variant !== "auto" && traits(request.variant).relaxed;
  } else if (request.variant === "auto") {
    threaded = features.threads && threads > 1;
    relaxed = features.relaxedSimd;
    if (!features.threads && threads > 1) fallback = features.threadsMissing;
  } else {
    ({ threaded, relaxed } = traits(request.variant));
  }
  if (threaded && !features.threads) {
    throw initError(
      `the ${variantOf(threaded, relaxed)} variant cannot run here: ${features.threadsMissing}`,
    );
  }
  if (given === undefined && relaxed && !features.relaxedSimd) {
    throw initError(
      `the ${variantOf(threaded, relaxed)} variant cannot run here: this WebAssembly runtime ` +
        "lacks relaxed SIMD (Chrome 114+, Node 22+; Node 20 with --experimental-wasm-relaxed-simd)",
    );
  }

  if (threaded) {
    try {
      module ??= await env.compile(wasmUrl(env, variantOf(true, relaxed), options.wasmPaths));
      return await loadThreaded(env, request, module, threads, options.workerUrl);
    } catch (error) {
      const poolFailed = error instanceof BackendError && error.code === "TCONV3D_WORKER";
      if (!poolFailed || request.variant !== "auto" || given !== undefined) throw error;
      fallback = error.message.replace(/^tconv3d: /, "");
      module = undefined;
    }
  }
  if (fallback !== undefined) {
    console.warn(`tconv3d: running on 1 thread: ${fallback}`);
  }
  module ??= await env.compile(wasmUrl(env, variantOf(false, relaxed), options.wasmPaths));
  const out = simdGlue.initSync({ module });
  const variant = checkVariant(request, simdGlue.variant_relaxed(), false);
  return makeRuntime(simdGlue, out.memory, info(variant, 1, fallback));
}

async function loadThreaded(
  env: Host,
  request: Request,
  module: WebAssembly.Module,
  threads: number,
  workerUrl: string | URL | undefined,
): Promise<WasmRuntime> {
  // The relaxed builds' JS glue equals the base builds' (scripts/build-wasm.sh checks), so
  // one glue serves either .wasm, here and in the pool's workers.
  const out = threadsGlue.initSync({ module });
  if (!threadsGlue.variant_threads()) {
    throw initError("the simd-threads .wasm was built without the threads feature");
  }
  const variant = checkVariant(request, threadsGlue.variant_relaxed(), true);
  const script = workerUrl === undefined ? undefined : env.resolve(workerUrl);
  await startPool(env, module, out.memory, threads, script);
  return makeRuntime(threadsGlue, out.memory, info(variant, threadsGlue.pool_threads(), undefined));
}

/** The URL of a variant's `.wasm`: from `wasmPaths`, else beside the package's code. */
function wasmUrl(env: Host, variant: Variant, paths: WasmPaths | undefined): URL {
  if (paths === undefined) return packaged(variant);
  if (isLocation(paths)) {
    const folder = env.resolve(paths);
    const base = folder.href.endsWith("/") ? folder : new URL(`${folder.href}/`);
    return new URL(`${variant}/tconv3d_wasm_bg.wasm`, base);
  }
  const file = paths[variant];
  if (file === undefined) {
    throw new ArgumentError(
      `tconv3d: init({ wasmPaths }) has no URL for the ${variant} build this runtime needs; add "${variant}" or give the folder of all builds`,
    );
  }
  return env.resolve(file);
}

/** The URL of a `.wasm` shipped beside this file, or a clear error where there is none. */
function packaged(variant: Variant): URL {
  try {
    // One literal `new URL(..., import.meta.url)` per file, so that bundlers emit all four.
    switch (variant) {
      case "simd":
        return new URL("../../wasm/simd/tconv3d_wasm_bg.wasm", import.meta.url);
      case "simd-relaxed":
        return new URL("../../wasm/simd-relaxed/tconv3d_wasm_bg.wasm", import.meta.url);
      case "simd-threads":
        return new URL("../../wasm/simd-threads/tconv3d_wasm_bg.wasm", import.meta.url);
      case "simd-threads-relaxed":
        return new URL("../../wasm/simd-threads-relaxed/tconv3d_wasm_bg.wasm", import.meta.url);
    }
  } catch (error) {
    throw initError(
      `cannot locate the package's .wasm files here (import.meta.url is ${JSON.stringify(import.meta.url)}); pass init({ wasmPaths }) or init({ module })`,
      error,
    );
  }
}

/** The variant of the instantiated build; refuses one other than the variant asked for. */
function checkVariant(request: Request, relaxed: boolean, threaded: boolean): Variant {
  const variant = variantOf(threaded, relaxed);
  if (request.variant !== "auto" && request.variant !== variant) {
    throw initError(
      `init({ module }) got the ${variant} build, but variant ${request.variant} was asked for`,
    );
  }
  return variant;
}

function info(variant: Variant, threads: number, fallback: string | undefined): BackendInfo {
  return {
    variant,
    simd: true,
    relaxedSimd: traits(variant).relaxed,
    threads,
    ...(fallback === undefined ? {} : { fallback }),
  };
}

function importsMemory(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.kind === "memory");
}

async function compileSource(
  source: WebAssembly.Module | BufferSource | URL,
): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof URL) {
    if (host === undefined) throw initError("no environment was installed");
    return host.compile(source);
  }
  try {
    return await WebAssembly.compile(source);
  } catch (error) {
    // Cloudflare Workers compile only the .wasm modules a Worker imports.
    throw initError(
      `this runtime did not compile the .wasm bytes given to init({ module }) (${String(error)}); where a runtime compiles only imported modules, pass a WebAssembly.Module`,
      error,
    );
  }
}
