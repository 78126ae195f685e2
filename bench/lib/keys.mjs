// The implementations' keys, as bench/run.mjs measures them and the report groups them.

/** The three tconv3d builds, new output arrays each call. */
export const TC = ["tc-simd", "tc-t1", "tc-t2"];
/** The 2-thread build at 1 and 2 threads writing into reused outputs (`out`), and with inputs
 * and outputs in WASM memory (WasmArrays). */
export const OUT = ["tc-t1-out", "tc-t2-out", "tc-t1-wasm", "tc-t2-wasm"];
/** The ways of calling: new output arrays, outputs reused, tensors in WASM memory. */
export const MODES = ["", "-out", "-wasm"];
/** onnxruntime-web and onnxruntime-node, 1 and 2 threads. */
export const PEERS = ["web-t1", "web-t2", "node-t1", "node-t2"];
/** The relaxed-SIMD build, 2 threads (where the runtime takes it). */
export const RELAXED = "tc-t2-relaxed";
/** The 2-thread build in double precision (with the `MODES` as suffixes). */
export const F64 = "tc-t2-f64";
