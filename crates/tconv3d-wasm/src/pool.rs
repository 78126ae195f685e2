//! Start-up of rayon's global thread pool from JS workers.
//!
//! wasm has no `std::thread::spawn`: the threads are JS workers (Node `worker_threads` or
//! browser Web Workers) that each instantiate the same module over the same shared memory.
//! The protocol follows wasm-bindgen-rayon's, with a JS twin
//! (`packages/tconv3d/src/runtime/pool.ts`, which starts the workers) that works in Node as well
//! as in browsers:
//!
//! 1. Main thread: `const b = new PoolBuilder(n)`.
//! 2. Main thread: spawn `n - 1` workers; send each `{ module, memory, handle: b.workerHandle() }`.
//! 3. Each worker: `initSync({ module, memory })`, post "ready", then call
//!    `tconv3d_worker_run(handle)`, which blocks until a `rayon::ThreadBuilder` arrives and
//!    then runs it (the worker becomes a rayon thread for the life of the process).
//! 4. Main thread, after all "ready" messages: `b.build()`: the main thread itself becomes
//!    rayon's thread 0 (`use_current_thread`), and rayon's `spawn_handler` hands one
//!    `ThreadBuilder` to each waiting worker. `b.free()` may follow at once.
//!
//! The calling thread is one of the `n` because it would otherwise only wait while the pool
//! computes: `n` threads on `n` cores then leave no core to a thread that merely waits, and a
//! call's work starts and ends on the thread that asked for it (no wake-up hand-offs).
//!
//! The hand-off queue uses `wasm_sync`'s `Mutex`/`Condvar` (as rayon does with its
//! `web_spin_lock` feature): they block with `memory.atomic.wait32` on threads that may block
//! (workers, Node's main thread) and spin on a browser's main thread, where waiting traps.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use rayon::ThreadBuilder;
use wasm_bindgen::prelude::*;
use wasm_sync::{Condvar, Mutex};

/// Where the main thread leaves `ThreadBuilder`s for the workers waiting in
/// [`tconv3d_worker_run`]: a tiny multi-consumer channel.
struct Handoff {
    queue: Mutex<VecDeque<ThreadBuilder>>,
    available: Condvar,
}

impl Handoff {
    fn send(&self, builder: ThreadBuilder) {
        // A poisoned lock only means another thread panicked while holding it; with
        // panic=abort that cannot happen, and the queue itself stays consistent anyway.
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.push_back(builder);
        drop(queue);
        self.available.notify_one();
    }

    fn recv(&self) -> ThreadBuilder {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(builder) = queue.pop_front() {
                return builder;
            }
            queue = self
                .available
                .wait(queue)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Starts rayon's global pool with `n` JS workers (see the module docs for the protocol).
#[wasm_bindgen]
pub struct PoolBuilder {
    threads: usize,
    handles_issued: usize,
    handoff: Arc<Handoff>,
}

#[wasm_bindgen]
impl PoolBuilder {
    /// A builder for a pool of `threads` threads (at least 1): the calling thread and
    /// `threads - 1` workers.
    #[wasm_bindgen(constructor)]
    pub fn new(threads: u32) -> Result<PoolBuilder, JsError> {
        if threads == 0 {
            return Err(JsError::new(
                "tconv3d: the thread pool needs at least 1 thread",
            ));
        }
        Ok(PoolBuilder {
            threads: threads as usize,
            handles_issued: 0,
            handoff: Arc::new(Handoff {
                queue: Mutex::new(VecDeque::new()),
                available: Condvar::new(),
            }),
        })
    }

    /// An opaque handle (an address in wasm memory) for one worker: pass each handle to
    /// exactly one `tconv3d_worker_run` call. At most `threads - 1` handles are issued.
    #[wasm_bindgen(js_name = workerHandle)]
    pub fn worker_handle(&mut self) -> Result<usize, JsError> {
        if self.handles_issued == self.threads - 1 {
            return Err(JsError::new(
                "tconv3d: more worker handles requested than threads",
            ));
        }
        self.handles_issued += 1;
        // The worker that receives this handle takes over this strong reference (see
        // `tconv3d_worker_run`), so the hand-off outlives the builder if need be.
        Ok(Arc::into_raw(Arc::clone(&self.handoff)) as usize)
    }

    /// Builds rayon's global pool on this thread and the waiting workers. Call it on the
    /// thread that will make the calls, once all workers have reported ready (they are
    /// blocked in `tconv3d_worker_run`). Fails if a global pool already exists.
    pub fn build(&mut self) -> Result<(), JsError> {
        if self.handles_issued != self.threads - 1 {
            return Err(JsError::new(
                "tconv3d: build() before every worker got its handle",
            ));
        }
        let handoff = Arc::clone(&self.handoff);
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .thread_name(|i| format!("tconv3d-{i}"))
            .use_current_thread()
            .spawn_handler(move |thread| {
                handoff.send(thread);
                Ok(())
            })
            .build_global()
            .map_err(|e| JsError::new(&format!("tconv3d: building the thread pool failed: {e}")))
    }
}

/// Worker entry point: blocks until the pool hands this worker a `rayon::ThreadBuilder`,
/// then runs it; returns only when the pool shuts down (for the global pool: never).
///
/// `handle` must come from `PoolBuilder::workerHandle` and be used exactly once.
#[wasm_bindgen]
pub fn tconv3d_worker_run(handle: usize) {
    // SAFETY: `handle` was produced by `Arc::into_raw` in `PoolBuilder::worker_handle`, which
    // issues each strong reference once, and the JS runtime passes each handle to exactly one
    // call of this function; so we take back exactly the reference that was leaked for us,
    // and the `Handoff` is alive (this reference keeps it alive) whatever became of the builder.
    let handoff = unsafe { Arc::from_raw(handle as *const Handoff) };
    let builder = handoff.recv();
    drop(handoff);
    builder.run();
}

/// Runs `tasks` calls of `job` as a rayon parallel loop and counts the distinct pool threads
/// that ran at least one.
pub(crate) fn distinct_workers(tasks: u32, job: fn(u32) -> u32) -> u32 {
    let seen: Vec<AtomicBool> = (0..rayon::current_num_threads())
        .map(|_| AtomicBool::new(false))
        .collect();
    let acc = (0..tasks)
        .into_par_iter()
        .with_max_len(1)
        .map(|t| {
            if let Some(flag) = rayon::current_thread_index().and_then(|i| seen.get(i)) {
                flag.store(true, Ordering::Relaxed);
            }
            job(t)
        })
        .reduce(|| 0, |a, b| a ^ b);
    std::hint::black_box(acc);
    seen.iter().filter(|f| f.load(Ordering::Relaxed)).count() as u32
}
