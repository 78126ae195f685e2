// The "Method" section of BENCHMARKS.md: how bench/run.mjs measures, with the run's own
// repetition policy and tolerances (from its results) and the ceiling of bench/targets.json.

/** The method section for the results `res` and the targets `T`. */
export function methodSection(res, T) {
  return `## Method

- **One process, alternating.** All implementations live in one Node process. For every
  shape each one is warmed up (${res.policy.warmup} call${res.policy.warmup > 1 ? "s; one if the first took over 1 s" : ""}), then timed in rounds in which
  every implementation runs once, the order rotated each round; the table gives the median
  (and min–max) of the rounds. Rounds: at least ${res.policy.minReps}, more for fast shapes while a budget of
  ${res.policy.fwdBudgetS} s (forward) / ${res.policy.bwdBudgetS} s (backward) per shape lasts, at most ${res.policy.maxReps}. Before each timed call (not timed): a
  full GC and a ${res.settleMs} ms pause so that the previous implementation's pool threads are idle.
- **Shared machine.** Other processes' CPU use is tracked during every round (machine-wide busy
  time from \`/proc/stat\` minus this process's \`process.cpuUsage()\`): a round during which they kept
  more than 0.15 of a core busy is discarded and redone after waiting for quiet (at most
  max(rounds, 10) times per shape and phase, none after ${res.policy.softLimitS} s of run time). "other procs" gives
  their average load over the accepted rounds and how many rounds were redone; the run first
  waits (at most ${res.load.maxWait} s) for the machine to be quiet. Each timed call's CPU time (every
  thread of this process) ÷ its wall time is kept as well: the 2-thread target's "what limits"
  gives its median, the cores the call kept busy (near 2 for a 2-thread call whose threads
  never waited, yet slower than its fastest run when this VM's cores ran slower).
- **What is timed:** one end-to-end call on JS \`Float32Array\`s, input already in memory, output
  returned as a JS array: \`layer.predict(X)\` (\`X = fromNCDHW(x, [N,C,D,H,W])\`, a layer built
  with the same weights and bias, so its packed weights are cached as in real use) and
  \`layer.backward(X, dLdY)\`; \`session.run({ x })\` for ORT (one \`ConvTranspose\` node, opset 17,
  weights and bias as initializers, \`graphOptimizationLevel: "all"\`). Copies between JS and
  WASM memory are inside every implementation's time.
- **Outputs reused ("out"):** the same 2-thread build called as a training loop or a repeated
  inference calls it, \`layer.predict(X, { out: Y })\` and \`layer.backward(X, dLdY, { out: grads })\`
  with \`Y\` and \`grads\` from an earlier call: the same work and copies, without the first
  touch of new arrays' memory. The targets name this when only these calls meet them ("with
  outputs reused" in the "met" column); the peers' rows always return new arrays.
- **In WASM memory ("WASM"):** the same build with every tensor a \`WasmArray\` (\`wasmArray\`:
  a dlarray whose elements live in WASM memory), filled before timing; outputs reused as
  above. The kernels read and write them where they are, so nothing crosses the JS↔WASM
  boundary; what remains outside the core is reordering an input into the layout its kernel
  reads. A user keeps tensors there across layers or calls. The targets name this mode ("with
  tensors in WASM memory" in the "met" column) when only these calls meet them.
- **Several instances of one runtime.** \`init()\` is a per-module singleton, and so is
  onnxruntime-web's \`env.wasm.numThreads\` (its WASM module and thread pool are created once).
  The script registers Node module hooks (\`bench/lib/hooks.mjs\`) that carry a \`?benchInst=NAME\`
  query from a module to everything it imports; ES modules are keyed by URL, so
  \`import("…/tconv3d/dist/index.js?benchInst=NAME")\` yields a complete private copy of the module
  graph: its own loader state, wasm-bindgen glue, \`WebAssembly.Memory\` and (for simd-threads)
  rayon pool of worker_threads. The same gives two independent onnxruntime-web instances (with
  their own onnxruntime-common and \`env\`), one with 1 and one with 2 threads. So all of
  \`simd\` (1 thread), \`simd-threads\` with 1 and with 2 threads, ort-web 1 and 2 threads run side by
  side, as the user-facing API loads them, with no change to the package. onnxruntime-node takes
  the thread count per session. The idle pools of the other instances sleep (rayon workers block
  in \`memory.atomic.wait32\`), and the pause before each call lets spinning threads settle.
- **Correctness before timing.** The first forward output of every implementation is compared
  with tconv3d \`simd\`'s: rel. err = max |y − y_simd| / max |y_simd|; above ${res.tol} the row is marked
  **wrong** (and left out of geomeans). If both ORT builds agree with each other but not with
  tconv3d, tconv3d's row says so. Backward (no peer computes it): the three builds must agree,
  dB must equal Σ dLdY per channel, and the adjoint identities ⟨dLdY, Y − b⟩ = ⟨dLdX, X⟩ =
  ⟨dLdW, W⟩ must hold (f64 sums), all within ${res.tol} relative; the column shows the largest deviation.
- **Ratios** are speed-ups: peer time ÷ tconv3d time (above 1×: tconv3d is faster); "best" is the
  fastest of the three tconv3d builds for that shape, "t2" is \`simd-threads\` with 2 threads.
  ✗ marks a pair where one side is wrong (left out of the geomean). The ceiling is
  ${T.ceiling.cores} × ${T.ceiling.gflopsPerCore} GFLOP/s = ${T.ceiling.cores * T.ceiling.gflopsPerCore} GFLOP/s, the SIMD128 mul+add microbenchmark of docs/performance.md on this kind of machine (not re-measured here).
- **Backward** (\`layer.backward\`) returns dX, dW and dB together (the API has no separate
  entry points), so it is timed as a whole; "bwd ÷ fwd" divides by the same build's forward
  median of the table above (target ≤ ${T.backwardOverForward}×, ⚠ when over). "bwd GFLOP/s" counts 2 × the forward
  FLOPs (dX and dW each cost one forward; dB is negligible).
- **Copy share (estimate):** the median time of \`Float32Array.prototype.set\` of the same number of
  floats that cross the boundary (forward: X in, Y out; backward: X and dLdY in, dX, dW and dB
  out) between JS arrays and a \`SharedArrayBuffer\`, divided by the end-to-end time of the 2-thread
  build. It is a lower bound on what staging the data costs (allocation of the outputs not included).
- **Where the time goes:** "core" times one call of the WASM core on data already in WASM
  memory (channels-last, X in the forward plan's own layout; fastest of 7 calls in each of two
  passes that alternate the 1- and 2-thread builds), for forward, dX, dW
  and dB separately, which \`layer.backward\` runs together. "new … array(s)" is the median time
  of allocating new JS \`Float32Array\`s of the outputs' sizes and filling them from a
  \`SharedArrayBuffer\` (after a full GC): the first touch of fresh pages that returning new JS
  arrays costs whatever the copy (in this VM a page fault costs microseconds). End-to-end
  minus core is the boundary: reordering the inputs into WASM memory, the new arrays, the copy.
- **Workspace memory:** the WASM heap's peak during one end-to-end call of the 2-thread build
  (a counting allocator, \`heap_stats\`), minus the heap before it and minus f32 copies of the
  call's inputs and outputs (forward: X, Y; backward: X, dLdY, dX, dW, dB); the plans (packed
  weights) exist before the call. So it counts any padding of the input copy and every
  scratch buffer, against the target's "extra memory beyond inputs, outputs and packed weights",
  as a share of the output size: Y for the forward; for the backward the larger of Y (the size
  of its input dLdY) and its outputs dX + dW + dB (both shares are shown too).
- **f64:** the same layer and data in double precision (X, weights and bias \`Float64Array\`),
  timed in the same forward rounds; GFLOP/s against the f32 2-thread build's.`;
}
