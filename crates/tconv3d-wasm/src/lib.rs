//! wasm-bindgen layer of tconv3d.
//!
//! This crate holds no maths: the compute exports live in `compute` (owned by the lead) and
//! call into `tconv3d-core`. This file and `pool` provide what every variant shares:
//!
//! - [`wasm_memory`]: the module's linear memory (a `SharedArrayBuffer`-backed memory in the
//!   threaded build), so JS can make typed-array views over buffers the compute exports own;
//! - [`variant_threads`]: whether this binary was built with the `threads` feature, and
//!   [`variant_relaxed`] whether with relaxed SIMD;
//! - [`pool_threads`] / [`pool_distinct_workers`]: the size of rayon's pool and a proof
//!   that more than one worker ran jobs;
//! - `PoolBuilder` / `tconv3d_worker_run` (feature `threads` only): the start-up of rayon's
//!   global pool from JS workers (Node `worker_threads` and browser Web Workers);
//! - `heap_stats` / `heap_peak_reset`: the allocator's byte counters (`heap`), for measuring
//!   the memory a call takes.
//!
//! The single-threaded `simd` build exports the same names except the two pool start-up
//! items, so the JS loader stays uniform.
//!
//! `wasm_memory`, `pool_distinct_workers` and the heap counters serve the tests and the
//! benchmark only, and ship all the same, on purpose: the runtime tests prove that the
//! published binaries run on several threads in Node, browsers and workerd, and `pnpm bench`
//! measures the published binaries' memory per call; a separate testing build would leave
//! those binaries untested and unmeasured. They cost a few hundred bytes and, for the
//! counters, two relaxed atomic adds per allocation (none in the kernels' loops).

use wasm_bindgen::prelude::*;

mod compute;
mod heap;
#[cfg(feature = "threads")]
mod pool;

#[cfg(feature = "threads")]
pub use pool::{tconv3d_worker_run, PoolBuilder};

/// The module's linear memory (`WebAssembly.Memory`).
///
/// In the threaded build the memory is imported and shared; every worker of the pool was
/// instantiated over this same memory. Views made over `memory.buffer` go stale whenever the
/// memory grows (see the TS runtime's notes): re-derive them after every call into wasm.
#[wasm_bindgen]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// `true` when this binary was built with the `threads` feature (atomics, shared memory, rayon).
#[wasm_bindgen]
pub fn variant_threads() -> bool {
    cfg!(feature = "threads")
}

/// `true` when this binary was built with the `relaxed-simd` target feature (its tiles use
/// `relaxed_madd`, a fused multiply-add where the hardware has one).
#[wasm_bindgen]
pub fn variant_relaxed() -> bool {
    cfg!(target_feature = "relaxed-simd")
}

/// Number of threads in rayon's global pool: the number of pool workers that run parallel
/// jobs (the calling thread only waits for them). 1 in the single-threaded build.
#[wasm_bindgen]
pub fn pool_threads() -> u32 {
    #[cfg(feature = "threads")]
    {
        u32::try_from(rayon::current_num_threads()).unwrap_or(u32::MAX)
    }
    #[cfg(not(feature = "threads"))]
    {
        1
    }
}

/// A job that is small but not trivial: about a millisecond of dependent integer arithmetic
/// that the optimiser cannot fold away.
fn busy_job(seed: u32) -> u32 {
    let mut x = std::hint::black_box(seed.wrapping_mul(2_654_435_761).wrapping_add(1));
    for _ in 0..300_000u32 {
        // xorshift32: each step depends on the previous one.
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
    }
    std::hint::black_box(x)
}

/// Runs `tasks` independent jobs (about 1 ms each) as a rayon parallel loop and returns how
/// many distinct pool threads ran at least one of them: the proof that the pool really runs
/// work on more than one thread. Returns 1 in the single-threaded build (0 when `tasks` is 0).
#[wasm_bindgen]
pub fn pool_distinct_workers(tasks: u32) -> u32 {
    #[cfg(feature = "threads")]
    {
        pool::distinct_workers(tasks, busy_job)
    }
    #[cfg(not(feature = "threads"))]
    {
        let mut acc = 0u32;
        for t in 0..tasks {
            acc ^= busy_job(t);
        }
        std::hint::black_box(acc);
        u32::from(tasks > 0)
    }
}
