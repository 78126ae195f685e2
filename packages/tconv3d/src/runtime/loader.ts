/**
 * Loading the WebAssembly backend: feature detection, choice of variant, instantiation and
 * (for the threaded variants) the start-up of the worker pool.
 *
 * @module
 */

import type * as SimdGlue from "../../wasm/simd/tconv3d_wasm.js";
import type * as ThreadsGlue from "../../wasm/simd-threads/tconv3d_wasm.js";
import { detectFeatures, hardwareThreads, isNode, type RuntimeFeatures } from "./detect.js";
import { isWorkerReply, type WorkerStartMessage } from "./protocol.js";

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
   * others in the last bits (fused multiply-adds round once).
   */
  variant?: "auto" | Variant;
  /**
   * The `.wasm` of the chosen variant, for hosts that cannot fetch or read it from the package
   * (bundlers, Cloudflare Workers): a compiled `WebAssembly.Module`, its bytes, or its URL.
   * The variant is then read from the module itself (the threaded builds import their memory,
   * and each build says whether it is relaxed).
   */
  module?: WebAssembly.Module | BufferSource | URL;
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
}

/** The wasm-bindgen exports shared by every variant (typed from the generated glue). */
export type WasmBindings = Omit<
  typeof SimdGlue,
  "default" | "initSync" | "InitInput" | "InitOutput"
>;

/**
 * The loaded backend, for the package's own modules (see {@link wasm}).
 *
 * Memory views: buffers live in the wasm linear memory, and a call into wasm may grow it.
 * Growth detaches a non-shared `ArrayBuffer`, and a `SharedArrayBuffer` view keeps its old
 * length (other threads' growth may not even be visible yet). So never keep a typed array
 * across a call into wasm: re-derive it with {@link WasmRuntime.f32} (etc.) after each call.
 */
export interface WasmRuntime {
  /** The wasm-bindgen exports (functions and classes). */
  readonly exports: WasmBindings;
  /** The instance's linear memory (shared in `simd-threads`). */
  readonly memory: WebAssembly.Memory;
  /** What was loaded. */
  readonly info: BackendInfo;
  /** The memory's current buffer (refreshed first for shared memories). */
  buffer(): ArrayBuffer | SharedArrayBuffer;
  /** A fresh `Float32Array` over `len` floats at byte address `ptr`. */
  f32(ptr: number, len: number): Float32Array;
  /** A fresh `Float64Array` over `len` doubles at byte address `ptr`. */
  f64(ptr: number, len: number): Float64Array;
  /** A fresh `Uint8Array` over `len` bytes at byte address `ptr`. */
  u8(ptr: number, len: number): Uint8Array;
  /** A fresh `Uint32Array` over `len` words at byte address `ptr`. */
  u32(ptr: number, len: number): Uint32Array;
}

const MAX_AUTO_THREADS = 8;
const NOT_INITIALIZED = "tconv3d: call await init() before computing";

interface Request {
  threads: number | "auto";
  variant: "auto" | Variant;
}

let pending: { request: Request; promise: Promise<BackendInfo> } | undefined;
let loaded: WasmRuntime | undefined;

/**
 * Loads the WebAssembly backend; call it (and await it) once before any computation.
 *
 * Idempotent: later calls without options, or with the same options, return the same
 * {@link BackendInfo}. Asking for another variant or thread count after the first call throws,
 * since a loaded backend (and its thread pool) cannot be replaced.
 *
 * @throws Error if the runtime lacks WebAssembly SIMD128, if `variant: "simd-threads"` is
 *   asked for where threads are unavailable, or on a conflicting re-initialisation.
 */
export function init(options: InitOptions = {}): Promise<BackendInfo> {
  let request: Request;
  try {
    request = normalizeRequest(options);
  } catch (error) {
    return Promise.reject(error);
  }
  if (pending !== undefined) {
    const info = loaded?.info;
    if (!sameRequest(request, pending.request, info)) {
      return Promise.reject(
        new Error(
          `tconv3d: init() was already called with ${describe(pending.request)}` +
            (info ? ` (loaded ${info.variant} with ${info.threads} thread(s))` : "") +
            `; re-initialising with ${describe(request)} is not supported`,
        ),
      );
    }
    return pending.promise;
  }
  const promise = load(request, options.module).then(
    (runtime) => {
      loaded = runtime;
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
 * @throws Error before `init()` has completed.
 */
export function backendInfo(): BackendInfo {
  if (loaded === undefined) {
    throw new Error("tconv3d: backendInfo() is not available before await init()");
  }
  return { ...loaded.info };
}

/**
 * The loaded backend: wasm-bindgen exports, memory and view helpers. Internal to the package.
 *
 * @throws Error `"tconv3d: call await init() before computing"` before `init()` has completed.
 * @internal
 */
export function wasm(): WasmRuntime {
  if (loaded === undefined) throw new Error(NOT_INITIALIZED);
  return loaded;
}

// ---------------------------------------------------------------------------------------------

function normalizeRequest(options: InitOptions): Request {
  const threads = options.threads ?? "auto";
  if (threads !== "auto" && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new Error(
      `tconv3d: init({ threads }) must be "auto" or an integer 1..256, got ${threads}`,
    );
  }
  const variant = options.variant ?? "auto";
  if (variant !== "auto" && !VARIANTS.includes(variant)) {
    throw new Error(
      `tconv3d: init({ variant }) must be "auto" or one of ${VARIANTS.map((v) => `"${v}"`).join(", ")}, got ${String(variant)}`,
    );
  }
  if (
    variant !== "auto" &&
    !traits(variant).threaded &&
    typeof threads === "number" &&
    threads > 1
  ) {
    throw new Error(
      `tconv3d: variant "${variant}" is single-threaded; asked for ${threads} threads (use "${variantOf(true, traits(variant).relaxed)}")`,
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

async function load(request: Request, source: InitOptions["module"]): Promise<WasmRuntime> {
  const features = detectFeatures();
  if (!features.simd) {
    throw new Error(
      "tconv3d: this WebAssembly runtime does not support SIMD128 (fixed-width SIMD), which " +
        "every tconv3d build needs (Chrome/Edge 91+, Firefox 89+, Safari 16.4+, Node 16.4+)",
    );
  }
  const threads =
    request.threads === "auto"
      ? Math.max(1, Math.min(MAX_AUTO_THREADS, await hardwareThreads()))
      : request.threads;

  let module: WebAssembly.Module | undefined;
  let threaded: boolean;
  let relaxed: boolean;
  if (source !== undefined) {
    module = await compileSource(source);
    // Relaxed or not is known once instantiated (`variant_relaxed`); compiling succeeded, so
    // the runtime takes it either way.
    threaded = importsMemory(module);
    relaxed = request.variant !== "auto" && traits(request.variant).relaxed;
  } else if (request.variant === "auto") {
    threaded = features.threads && threads > 1;
    relaxed = features.relaxedSimd;
  } else {
    ({ threaded, relaxed } = traits(request.variant));
  }
  if (threaded && !features.threads) {
    throw new Error(
      `tconv3d: the ${variantOf(threaded, relaxed)} variant cannot run here: ${features.threadsMissing}`,
    );
  }
  if (source === undefined && relaxed && !features.relaxedSimd) {
    throw new Error(
      `tconv3d: the ${variantOf(threaded, relaxed)} variant cannot run here: this WebAssembly ` +
        "runtime lacks relaxed SIMD (Chrome 114+, Node 22+; Node 20 with " +
        "--experimental-wasm-relaxed-simd)",
    );
  }

  if (!threaded) {
    const glue = await import("../../wasm/simd/tconv3d_wasm.js");
    // One literal URL per file, so that bundlers find both.
    module ??= await compileSource(
      packaged(() =>
        relaxed
          ? new URL("../../wasm/simd-relaxed/tconv3d_wasm_bg.wasm", import.meta.url)
          : new URL("../../wasm/simd/tconv3d_wasm_bg.wasm", import.meta.url),
      ),
    );
    const out = glue.initSync({ module });
    const variant = checkVariant(request, glue.variant_relaxed(), false);
    return makeRuntime(glue, out.memory, { variant, features, threads: 1 });
  }

  // The relaxed builds' JS glue equals the base builds' (scripts/build-wasm.sh checks), so
  // one glue serves either .wasm, here and in the pool's workers.
  const glue = await import("../../wasm/simd-threads/tconv3d_wasm.js");
  module ??= await compileSource(
    packaged(() =>
      relaxed
        ? new URL("../../wasm/simd-threads-relaxed/tconv3d_wasm_bg.wasm", import.meta.url)
        : new URL("../../wasm/simd-threads/tconv3d_wasm_bg.wasm", import.meta.url),
    ),
  );
  const out = glue.initSync({ module });
  if (!glue.variant_threads()) {
    throw new Error("tconv3d: the simd-threads .wasm was built without the threads feature");
  }
  const variant = checkVariant(request, glue.variant_relaxed(), true);
  await startPool(glue, module, out.memory, threads);
  return makeRuntime(glue, out.memory, { variant, features, threads: glue.pool_threads() });
}

/** The variant of the instantiated build; refuses one other than the variant asked for. */
function checkVariant(request: Request, relaxed: boolean, threaded: boolean): Variant {
  const variant = variantOf(threaded, relaxed);
  if (request.variant !== "auto" && request.variant !== variant) {
    throw new Error(
      `tconv3d: init({ module }) got the ${variant} build, but variant ${request.variant} was asked for`,
    );
  }
  return variant;
}

function makeRuntime(
  exports: WasmBindings,
  memory: WebAssembly.Memory,
  how: { variant: Variant; features: RuntimeFeatures; threads: number },
): WasmRuntime {
  const shared =
    typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
  const buffer = (): ArrayBuffer | SharedArrayBuffer => {
    // Another thread may have grown a shared memory; grow(0) makes this agent see the new size
    // (toyobayashi/wasm-util#7). It cannot fail and costs a lock.
    if (shared) memory.grow(0);
    return memory.buffer;
  };
  const info: BackendInfo = {
    variant: how.variant,
    simd: true,
    relaxedSimd: traits(how.variant).relaxed,
    threads: how.threads,
  };
  return Object.freeze({
    exports,
    memory,
    info: Object.freeze(info),
    buffer,
    f32: (ptr: number, len: number) => new Float32Array(buffer(), ptr, len),
    f64: (ptr: number, len: number) => new Float64Array(buffer(), ptr, len),
    u8: (ptr: number, len: number) => new Uint8Array(buffer(), ptr, len),
    u32: (ptr: number, len: number) => new Uint32Array(buffer(), ptr, len),
  });
}

/** What to do where the package's own .wasm files cannot be found. */
const PASS_MODULE =
  "pass the build with init({ module }): in Cloudflare Workers, " +
  'import wasm from "tconv3d/wasm/simd/tconv3d_wasm_bg.wasm" and call init({ module: wasm })';

/** The URL of a .wasm shipped next to this file, or a clear error where there is none
 * (Cloudflare Workers: `import.meta.url` is not a URL). */
function packaged(url: () => URL): URL {
  try {
    return url();
  } catch (error) {
    throw new Error(
      `tconv3d: cannot locate the package's .wasm here (import.meta.url is ${JSON.stringify(import.meta.url)}: ${String(error)}); ${PASS_MODULE}`,
    );
  }
}

function importsMemory(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.kind === "memory");
}

async function compileSource(
  source: WebAssembly.Module | BufferSource | URL,
): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (!(source instanceof URL)) {
    try {
      return await WebAssembly.compile(source);
    } catch (error) {
      // Cloudflare Workers compile only the .wasm modules a Worker imports.
      throw new Error(
        `tconv3d: this runtime did not compile the .wasm bytes given to init({ module }) (${String(error)}); where a runtime compiles only imported modules, pass a WebAssembly.Module`,
      );
    }
  }
  if (isNode() && source.protocol === "file:") {
    const [{ readFile }, { fileURLToPath }] = await Promise.all([
      import("node:fs/promises"),
      import("node:url"),
    ]);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      // readFile's Buffer owns a plain (non-shared) ArrayBuffer.
      bytes = (await readFile(fileURLToPath(source))) as Uint8Array<ArrayBuffer>;
    } catch (error) {
      throw new Error(
        `tconv3d: cannot read ${source.href} (was scripts/build-wasm.sh run?): ${String(error)}`,
      );
    }
    return WebAssembly.compile(bytes);
  }
  const response = await fetch(source);
  if (!response.ok) {
    throw new Error(`tconv3d: fetching ${source.href} failed: HTTP ${response.status}`);
  }
  if (
    typeof WebAssembly.compileStreaming === "function" &&
    response.headers.get("content-type")?.startsWith("application/wasm")
  ) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

// --- the pool ---------------------------------------------------------------------------------

/** A started worker, whatever the host's Worker API. */
interface PoolWorker {
  /** Lets the host exit while the worker is blocked (Node); no-op in browsers. */
  unref(): void;
}

/** Workers of the pool, kept reachable for the life of the backend. */
const poolWorkers: PoolWorker[] = [];

async function startPool(
  glue: typeof ThreadsGlue,
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  threads: number,
): Promise<void> {
  const builder = new glue.PoolBuilder(threads);
  try {
    const messages: WorkerStartMessage[] = [];
    for (let i = 0; i < threads; i++) {
      messages.push({
        type: "tconv3d_worker_start",
        module,
        memory,
        handle: builder.workerHandle(),
      });
    }
    const spawn = isNode() ? spawnNodeWorker : spawnWebWorker;
    const workers = await Promise.all(messages.map((m, i) => spawn(m, i)));
    // Every worker is now blocked in tconv3d_worker_run: hand out rayon's threads.
    builder.build();
    for (const w of workers) {
      w.unref();
      poolWorkers.push(w);
    }
  } finally {
    builder.free();
  }
}

async function spawnNodeWorker(message: WorkerStartMessage, index: number): Promise<PoolWorker> {
  const [{ Worker }, { fileURLToPath }] = await Promise.all([
    import("node:worker_threads"),
    import("node:url"),
  ]);
  const file = fileURLToPath(new URL("./worker.js", import.meta.url));
  const name = `tconv3d-${index}`;
  let worker: InstanceType<typeof Worker>;
  const execArgv = workerExecArgv();
  try {
    worker = new Worker(file, { name, execArgv });
  } catch (e) {
    // Process-wide flags (`--expose-gc`, `--max-old-space-size=...`) are refused in a worker's
    // execArgv, which names them; they apply to the whole process anyway, so drop them.
    if ((e as { code?: string }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw e;
    const refused = new Set((e as Error).message.replace(/^[^:]*: /, "").split(", "));
    worker = new Worker(file, { name, execArgv: execArgv.filter((a) => !refused.has(a)) });
  }
  return new Promise<PoolWorker>((resolve, reject) => {
    const onError = (error: Error) => {
      cleanup();
      reject(new Error(`tconv3d: pool worker ${index} failed to start: ${error.message}`));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`tconv3d: pool worker ${index} exited during start-up (code ${code})`));
    };
    const onMessage = (data: unknown) => {
      if (!isWorkerReply(data)) return;
      cleanup();
      if (data.type === "tconv3d_worker_ready") resolve(worker);
      else reject(new Error(`tconv3d: pool worker ${index} failed to start: ${data.message}`));
    };
    const cleanup = () => {
      worker.off("error", onError);
      worker.off("exit", onExit);
      worker.off("message", onMessage);
      // A later failure of a running pool worker (a trap inside a parallel job) must not be an
      // unhandled 'error' event that kills the process from a worker nobody awaits.
      worker.on("error", reportLateWorkerError);
    };
    worker.on("error", onError);
    worker.on("exit", onExit);
    worker.on("message", onMessage);
    worker.postMessage(message);
  });
}

/** Flags (with a separate value) that describe the parent's entry point, not how to run code. */
const ENTRY_FLAGS = new Set(["--input-type", "-e", "--eval", "-p", "--print"]);

/** The parent's Node flags (so `--experimental-*`, `--conditions`, loaders... carry over) minus
 * those about its entry point: with `node --input-type=module -e ...` (whose execArgv also holds
 * `-e` and the code) a worker file would otherwise fail to start. */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (ENTRY_FLAGS.has(arg)) {
      i++;
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq > 0 && ENTRY_FLAGS.has(arg.slice(0, eq))) continue;
    out.push(arg);
  }
  return out;
}

function spawnWebWorker(message: WorkerStartMessage, index: number): Promise<PoolWorker> {
  // Literal `new URL(..., import.meta.url)` inside `new Worker(...)`: bundlers recognise it.
  const worker = new Worker(new URL("./worker.js", import.meta.url), {
    type: "module",
    name: `tconv3d-${index}`,
  });
  return new Promise<PoolWorker>((resolve, reject) => {
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      reject(new Error(`tconv3d: pool worker ${index} failed to start: ${event.message}`));
    };
    worker.onmessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      if (!isWorkerReply(data)) return;
      worker.onmessage = null;
      worker.onerror = (e: ErrorEvent) => reportLateWorkerError(new Error(e.message));
      if (data.type === "tconv3d_worker_ready") resolve({ unref() {} });
      else reject(new Error(`tconv3d: pool worker ${index} failed to start: ${data.message}`));
    };
    worker.postMessage(message);
  });
}

function reportLateWorkerError(error: Error): void {
  console.error(`tconv3d: a pool worker failed: ${error.message}`);
}
