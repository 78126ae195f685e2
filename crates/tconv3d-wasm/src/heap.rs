//! The allocator of the WASM builds: the system allocator (dlmalloc) with byte counters, so
//! that the benchmark can measure the memory a call takes ([`heap_stats`]).
//!
//! Hand-written rather than `peak_alloc`: that crate leaves `alloc_zeroed` and `realloc` to
//! `GlobalAlloc`'s defaults, which would zero-fill every zeroed buffer (dlmalloc's `calloc`
//! skips fresh memory) and copy on every growth.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_bindgen::prelude::*;

/// Bytes allocated now, and the most since the last [`heap_peak_reset`].
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counted;

fn grew(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds as it does for `System`; the counters only observe.
// `inline(never)`: one copy of dlmalloc's paths, not one per allocation site.
unsafe impl GlobalAlloc for Counted {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded (see the impl).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded (see the impl).
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded (see the impl).
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded (see the impl).
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counted = Counted;

/// `[bytes allocated now, most bytes allocated at once since the last reset]` of this
/// module's heap (all threads).
#[wasm_bindgen]
pub fn heap_stats() -> Vec<f64> {
    [&CURRENT, &PEAK]
        .map(|c| c.load(Ordering::Relaxed) as f64)
        .to_vec()
}

/// Starts a new peak at the current allocation.
#[wasm_bindgen]
pub fn heap_peak_reset() {
    PEAK.store(CURRENT.load(Ordering::Relaxed), Ordering::Relaxed);
}
