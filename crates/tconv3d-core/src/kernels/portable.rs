//! The tiles in plain Rust, with the SIMD kernels' blocking (the compiler may vectorise them).

use super::{store, ARow, Run, RunSteps, LANE_ROWS, MR, NR, WIDE_ROWS};
use crate::element::Element;

/// [`super::IMPLEMENTATION`] in this build.
pub(super) const NAME: &str = "portable";

/// See [`super::Kernel::igemm`]; same contract.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub unsafe fn igemm<T: Element>(
    kc: usize,
    nt: usize,
    a: &[ARow<T>],
    b: *const T,
    seed: &[[T; NR]; MR],
    out: &[*mut T; MR],
    out_step: usize,
    mr: usize,
    nr: usize,
) {
    let mut acc = *seed;
    for t in 0..nt {
        let rows: [ARow<T>; MR] = core::array::from_fn(|r| a[t * MR + r]);
        for c in 0..kc {
            // SAFETY: `b` holds `nt*kc*NR` elements and `(t*kc + c + 1)*NR` is within them.
            let brow = unsafe { &*(b.add((t * kc + c) * NR) as *const [T; NR]) };
            for r in 0..MR {
                // SAFETY: each A row is valid for reads at `c*step`, `c < kc`.
                let av = unsafe { *rows[r].ptr.add(c * rows[r].step) };
                for q in 0..NR {
                    acc[r][q] += av * brow[q];
                }
            }
        }
    }
    // SAFETY: forwarded from the caller.
    unsafe { store(&acc, out, out_step, mr, nr) };
}

/// See [`super::Kernel::lanes`]; same contract.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub unsafe fn lanes<T: Element>(
    kc: usize,
    a: &[*const T],
    valid: &[u16],
    a_step: usize,
    b: *const T,
    seed: &[T; NR],
    out: *mut T,
    row_step: usize,
    rows: usize,
    out_step: usize,
    nr: usize,
) {
    // Rows are the innermost, independent sums (as the SIMD tile's lanes), so the compiler
    // can vectorise them: over a fixed `LANE_ROWS` when every row takes every tap (most calls:
    // the inside of a line), else row by row, where a row a tap must not reach keeps its sum
    // (a select, not a multiply by zero: what is read there may be NaN).
    let whole = rows == LANE_ROWS && valid.iter().all(|&v| v == u16::MAX);
    for (q, &s) in seed.iter().enumerate().take(nr) {
        let mut acc = [s; LANE_ROWS];
        for (t, &p) in a.iter().enumerate().filter(|(_, p)| !p.is_null()) {
            let mask = valid.get(t).copied().unwrap_or(u16::MAX);
            let adds: [bool; LANE_ROWS] = core::array::from_fn(|r| mask >> r & 1 == 1);
            for c in 0..kc {
                // SAFETY: the caller grants reads of `a.len()*kc*NR` B values.
                let w = unsafe { *b.add((t * kc + c) * NR + q) };
                // SAFETY: the caller grants reads at `c*a_step + r` for `r < rows`.
                let x = unsafe { p.add(c * a_step) };
                if whole {
                    // SAFETY: as above, with `rows == LANE_ROWS`.
                    let x = unsafe { &*(x as *const [T; LANE_ROWS]) };
                    for (sum, &x) in acc.iter_mut().zip(x) {
                        *sum += x * w;
                    }
                } else {
                    // SAFETY: as above.
                    let x = unsafe { core::slice::from_raw_parts(x, rows) };
                    for ((sum, &x), &on) in acc.iter_mut().zip(x).zip(&adds) {
                        let added = *sum + x * w;
                        *sum = if on { added } else { *sum };
                    }
                }
            }
        }
        for (r, &sum) in acc.iter().enumerate().take(rows) {
            // SAFETY: `out` is valid for writes at `r*row_step + q*out_step`.
            unsafe { *out.add(r * row_step + q * out_step) = sum };
        }
    }
}

/// See [`super::Kernel::outer`]; same contract.
#[inline(always)]
pub unsafe fn outer<T: Element>(
    acc: &mut [[T; NR]; MR],
    runs: &[Run],
    steps: RunSteps,
    a: *const T,
    b: *const T,
) {
    for run in runs {
        for kk in 0..run.len {
            // SAFETY: the caller guarantees MR reads of A and NR reads of B at these offsets.
            let (arow, brow) = unsafe {
                (
                    &*(a.add(run.a + kk * steps.a) as *const [T; MR]),
                    &*(b.add(run.b + kk * steps.b) as *const [T; NR]),
                )
            };
            for r in 0..MR {
                for q in 0..NR {
                    acc[r][q] += arow[r] * brow[q];
                }
            }
        }
    }
}

/// See [`super::Kernel::outer_narrow`]; same contract.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub unsafe fn outer_narrow<T: Element>(
    acc: &mut [[T; WIDE_ROWS]; NR],
    rows: usize,
    runs: &[Run],
    steps: RunSteps,
    a: *const T,
    b: *const T,
    nr: usize,
) {
    for run in runs {
        for kk in 0..run.len {
            for (q, acc_q) in acc.iter_mut().enumerate().take(nr) {
                // SAFETY: the caller grants `nr` reads of B and `rows` of A at these offsets.
                let w = unsafe { *b.add(run.b + kk * steps.b + q) };
                for (r, v) in acc_q.iter_mut().enumerate().take(rows) {
                    // SAFETY: as above.
                    *v += unsafe { *a.add(run.a + kk * steps.a + r) } * w;
                }
            }
        }
    }
}
