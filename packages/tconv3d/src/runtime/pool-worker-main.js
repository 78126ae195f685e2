// The entry of a pool worker. scripts/make-pool-worker.mjs appends this file to the
// simd-threads build's wasm-bindgen glue (which defines `initSync` and `tconv3d_worker_run`),
// so that a pool worker is one self-contained ES module: the loader starts it from a blob: URL
// (browsers), a data: URL (Node, Bun, Deno) or a copy of the file (init({ workerUrl })), with
// nothing for a bundler to find or a CDN to serve. Message shapes: runtime/protocol.ts.
//
// The worker instantiates the module over the shared memory it is sent (which also gives this
// thread its own stack and TLS), replies "ready", then blocks in tconv3d_worker_run until rayon
// hands it a thread to run, and runs rayon's worker loop for the life of the process: it
// handles exactly one message.

function tconv3dPoolStart(message, reply) {
  try {
    initSync({ module: message.module, memory: message.memory });
  } catch (error) {
    reply({ type: "tconv3d_worker_error", message: String(error?.message ?? error) });
    return;
  }
  reply({ type: "tconv3d_worker_ready" });
  tconv3d_worker_run(message.handle);
}

function tconv3dIsStart(data) {
  return typeof data === "object" && data !== null && data.type === "tconv3d_worker_start";
}

if (typeof WorkerGlobalScope === "function" && globalThis instanceof WorkerGlobalScope) {
  // A Web Worker (browsers).
  globalThis.onmessage = (event) => {
    if (!tconv3dIsStart(event.data)) return;
    globalThis.onmessage = null;
    tconv3dPoolStart(event.data, (m) => globalThis.postMessage(m));
  };
} else {
  // A Node.js worker_threads Worker. The start message waits in the port until a listener
  // is attached, so the asynchronous import loses nothing.
  import("node:worker_threads").then(({ parentPort }) => {
    parentPort?.once("message", (data) => {
      if (tconv3dIsStart(data)) tconv3dPoolStart(data, (m) => parentPort.postMessage(m));
    });
  });
}
