//! Buffer checks and the conversions between layouts: into the kernels' channels-last
//! layout (skipped when the caller's tensor is in it already), and any layout to any other.

use crate::element::Element;
use crate::geometry::GeometryError;
use crate::kernels::Kernel;
use crate::layout::{Extents, Layout};
use crate::parallel::{for_each_index, task_count, SharedOut};

/// Refuses a buffer whose length is not exactly `expected`.
pub fn check_len(name: &'static str, len: usize, expected: usize) -> Result<(), GeometryError> {
    if len == expected {
        Ok(())
    } else {
        Err(GeometryError::Buffer {
            name,
            len,
            expected,
        })
    }
}

pub fn check_span(
    name: &'static str,
    len: usize,
    l: Layout,
    e: Extents,
) -> Result<(), GeometryError> {
    let span = l.span(e)?;
    if len < span {
        Err(GeometryError::Buffer {
            name,
            len,
            expected: span,
        })
    } else {
        Ok(())
    }
}

/// Refuses an output buffer that is too short, or whose layout maps two elements to one place
/// (tasks on several threads write disjoint elements only if the layout is one-to-one).
pub fn check_output(
    name: &'static str,
    len: usize,
    l: Layout,
    e: Extents,
) -> Result<(), GeometryError> {
    check_span(name, len, l, e)?;
    if l.is_one_to_one(e) {
        Ok(())
    } else {
        Err(GeometryError::Overlap { name })
    }
}

/// `len` zeros, or an error naming the size when memory cannot grow to hold them (where
/// `vec!` would abort: in WASM, an `unreachable` trap that leaves the instance unusable).
pub fn zeros<T: Element>(len: usize) -> Result<Vec<T>, GeometryError> {
    let fail = || GeometryError::Memory {
        len,
        bytes: len.saturating_mul(core::mem::size_of::<T>()),
    };
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| fail())?;
    if layout.size() == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: the layout's size is nonzero (checked above).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(fail());
    }
    // SAFETY: `ptr` comes from the global allocator with `Layout::array::<T>(len)`, the layout
    // of a `Vec<T>` of capacity `len`; its bytes are all zero, which is 0.0 for both element
    // types (f32, f64), so all `len` elements are initialised; the Vec takes ownership.
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// Copies the tensor of extents `e` from layout `sl` in `src` to layout `dl` in `dst`, in
/// parallel over blocks of `(n, i2, i1)` lines. Inside a block it runs along whichever of the
/// channel and first spatial axes is contiguous in `src`; when that is the first spatial
/// axis, each channel's lines of the block are read together (one run of about `RUN`
/// elements per channel instead of one page per channel and line), and when the channels
/// are contiguous in `dst` (channels-first to channels-last) through register transposes
/// ([`Kernel::transpose`]). Elements of `dst` outside `dl` are kept.
pub fn reorder<T: Kernel>(
    src: &[T],
    sl: Layout,
    dst: &mut [T],
    dl: Layout,
    e: Extents,
) -> Result<(), GeometryError> {
    const RUN: usize = 256;
    const TRANSPOSE_CHANNELS: usize = 16;
    check_span("source", src.len(), sl, e)?;
    check_output("destination", dst.len(), dl, e)?;
    let [n0, n1, n2] = e.spatial;
    let per_block = RUN.div_ceil(n0).min(n1);
    let blocks_per_plane = n1.div_ceil(per_block);
    let blocks = e.batch * n2 * blocks_per_plane;
    let per_task = blocks.div_ceil(task_count(blocks));
    let out = SharedOut(dst.as_mut_ptr());
    for_each_index(blocks.div_ceil(per_task), |task| {
        for block in task * per_task..((task + 1) * per_task).min(blocks) {
            let b1 = block % blocks_per_plane;
            let (i2, n) = (
                block / blocks_per_plane % n2,
                block / (blocks_per_plane * n2),
            );
            let lines = b1 * per_block..((b1 + 1) * per_block).min(n1);
            // Element (i0, c) of line i1 is `i0*s0 + c*c` past the line's start in each layout.
            let line = |i1: usize| {
                let (s, d) = (sl.offset(n, [0, i1, i2], 0), dl.offset(n, [0, i1, i2], 0));
                // SAFETY: the line's elements are inside both spans (checked), and `dl` is
                // one-to-one, so they are written by this task only; `src` is only read.
                unsafe { (src.as_ptr().add(s), out.at(d)) }
            };
            if sl.s[0] == 1 && dl.c == 1 {
                // Channels-first lines to channels-last: blocks of `TRANSPOSE_CHANNELS`
                // channels go line by line through register transposes, so each channel's
                // lines of the block are still read as one run.
                for c0 in (0..e.channels).step_by(TRANSPOSE_CHANNELS) {
                    let m = TRANSPOSE_CHANNELS.min(e.channels - c0);
                    for i1 in lines.clone() {
                        let (s, d) = line(i1);
                        // SAFETY: as for `line`: elements `(c0 + c)*sl.c + i0` of the source
                        // line and `i0*dl.s[0] + c0 + c` of the destination line, `i0 < n0`,
                        // `c < m`, lie inside both spans; `src` and `dst` are distinct slices.
                        unsafe { T::transpose(s.add(c0 * sl.c), sl.c, d.add(c0), dl.s[0], n0, m) };
                    }
                }
            } else if sl.c <= sl.s[0] {
                for i1 in lines {
                    let (s, d) = line(i1);
                    for i0 in 0..n0 {
                        for c in 0..e.channels {
                            // SAFETY: as for `line`.
                            unsafe {
                                *d.add(i0 * dl.s[0] + c * dl.c) = *s.add(i0 * sl.s[0] + c * sl.c)
                            };
                        }
                    }
                }
            } else {
                for c in 0..e.channels {
                    for i1 in lines.clone() {
                        let (s, d) = line(i1);
                        // SAFETY: as for `line`.
                        let (s, d) = unsafe { (s.add(c * sl.c), d.add(c * dl.c)) };
                        for i0 in 0..n0 {
                            // SAFETY: as for `line`.
                            unsafe { *d.add(i0 * dl.s[0]) = *s.add(i0 * sl.s[0]) };
                        }
                    }
                }
            }
        }
    });
    Ok(())
}
