//! The one place that decides whether loops run on rayon's pool.

/// Threads that may run tasks at once (1 without the `parallel` feature).
pub fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// Maps `0..n` through `f`, in parallel when the `parallel` feature is on.
pub fn map_range<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    (0..n).map(f).collect()
}

/// Calls `f` for each of `0..n`, in parallel when the `parallel` feature is on.
pub fn for_each_index(n: usize, f: impl Fn(usize) + Sync + Send) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().for_each(f);
    }
    #[cfg(not(feature = "parallel"))]
    (0..n).for_each(f);
}

/// [`for_each_index`] with scratch state: `f` gets a value made by `init`, which rayon reuses
/// for the indices one worker runs in a row (`for_each_init`), so that tasks' buffers are
/// allocated a few times a call rather than once a task (thousands of tasks a call would
/// otherwise contend for the allocator's lock).
pub fn for_each_index_with<S>(
    n: usize,
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, usize) + Sync + Send,
) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().for_each_init(init, f);
    }
    #[cfg(not(feature = "parallel"))]
    {
        let mut s = init();
        (0..n).for_each(|i| f(&mut s, i));
    }
}

/// How many tasks to cut `work` units into: enough for load balance (about 8 per thread),
/// never more than the units.
pub fn task_count(work: usize) -> usize {
    (threads() * 8).clamp(1, work.max(1))
}

/// A pointer to an output buffer that tasks on several threads write through.
///
/// Only sound to share while every task writes a set of elements disjoint from every other
/// task's, which each use site states.
#[derive(Clone, Copy)]
pub struct SharedOut<T>(pub *mut T);

impl<T> SharedOut<T> {
    /// The element `off` places on.
    ///
    /// # Safety
    /// `off` is within the buffer the pointer came from.
    pub unsafe fn at(self, off: usize) -> *mut T {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.add(off) }
    }
}

// SAFETY: the pointer is only dereferenced under the disjoint-writes rule above; `T: Send` so
// the elements themselves may be written from another thread.
unsafe impl<T: Send> Send for SharedOut<T> {}
// SAFETY: as above; tasks never read or write the same element.
unsafe impl<T: Send> Sync for SharedOut<T> {}
