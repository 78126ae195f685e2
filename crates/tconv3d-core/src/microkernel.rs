//! The register tile every fast path runs: `MR` rows by `NR` columns of accumulators fed
//! by one A value broadcast against one NR-wide row of B per step, summed over a list of
//! taps (one A and one B base per tap, as in an indirect GEMM).
//!
//! This portable version has the blocking of the SIMD128 kernels, so native tests walk
//! the same tiling and remainder logic.

use crate::element::Element;

/// Rows of a tile (output voxels along the fastest spatial axis).
pub const MR: usize = 4;
/// Columns of a tile (output channels); packed weight panels are this wide.
pub const NR: usize = 8;

/// One step source of an implicit GEMM: A starts at `a`, B at `b`.
#[derive(Clone, Copy, Debug)]
pub struct TapBase {
    pub a: usize,
    pub b: usize,
}

/// How A is addressed: element `(r, kk)` is at `base + row[r] + kk*k_step`.
#[derive(Clone, Copy, Debug)]
pub struct AView {
    pub row: [usize; MR],
    pub k_step: usize,
}

impl AView {
    /// Rows `0..mr` at `row_step` apart after a common `shift`; rows past `mr` alias the
    /// last real row so the tile never reads outside the operand (their results are not
    /// stored).
    pub fn rows(mr: usize, shift: usize, row_step: usize, k_step: usize) -> Self {
        debug_assert!((1..=MR).contains(&mr));
        Self {
            row: core::array::from_fn(|r| shift + r.min(mr - 1) * row_step),
            k_step,
        }
    }
}

/// `acc[r][q] += sum over taps t, kk < kdim of A(t)[r, kk] * B(t)[kk*b_step + q]`.
#[inline(always)]
pub fn accumulate<T: Element>(
    acc: &mut [[T; NR]; MR],
    taps: &[TapBase],
    kdim: usize,
    a: &[T],
    av: AView,
    b: &[T],
    b_step: usize,
) {
    for t in taps {
        for kk in 0..kdim {
            let brow: &[T; NR] = b[t.b + kk * b_step..][..NR]
                .try_into()
                .expect("B row of NR");
            let ab = t.a + kk * av.k_step;
            for r in 0..MR {
                let x = a[ab + av.row[r]];
                for q in 0..NR {
                    acc[r][q] += x * brow[q];
                }
            }
        }
    }
}
