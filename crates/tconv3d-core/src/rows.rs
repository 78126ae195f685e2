//! Computes one output row of an implicit GEMM: outputs `j = 0..count` along the fastest
//! spatial axis, each the sum over taps of an A row (activations) times a packed B panel
//! (weights). Taps whose input falls outside the tensor for some `j` make those `j` a
//! border, computed one at a time with only the taps in range; the interior runs full
//! `MR`-row tiles.

use crate::element::Element;
use crate::microkernel::{accumulate, AView, TapBase, MR, NR};

/// One tap of a row: its A operand for output `j` starts at `a + j*a_jstep`, valid for
/// `j` in `lo..hi`; its B panel (`kdim` rows of `NR`) starts at `b`.
#[derive(Clone, Copy, Debug)]
pub struct RowTap {
    pub a: isize,
    pub b: usize,
    pub lo: usize,
    pub hi: usize,
}

/// What stays fixed along a row.
pub struct RowSpec<'a, T> {
    pub count: usize,
    pub a: &'a [T],
    pub a_jstep: usize,
    pub kdim: usize,
    pub b: &'a [T],
    /// Accumulator start values (the bias, or zeros).
    pub seed: [T; NR],
    /// Columns of the tile that are stored.
    pub nr: usize,
    pub out_jstep: usize,
}

fn tap_at(t: &RowTap, j: usize, a_jstep: usize) -> TapBase {
    // In range by the caller's check `lo <= j < hi`, so the offset is non-negative.
    TapBase {
        a: (t.a + (j * a_jstep) as isize) as usize,
        b: t.b,
    }
}

fn store<T: Element>(
    acc: &[[T; NR]; MR],
    mr: usize,
    nr: usize,
    out: &mut [T],
    at: usize,
    jstep: usize,
) {
    for (r, row) in acc.iter().enumerate().take(mr) {
        out[at + r * jstep..][..nr].copy_from_slice(&row[..nr]);
    }
}

/// Writes the row's `count` outputs at `out[out_base + j*out_jstep ..][..nr]`.
pub fn run_row<T: Element>(
    spec: &RowSpec<'_, T>,
    taps: &[RowTap],
    scratch: &mut Vec<TapBase>,
    out: &mut [T],
    out_base: usize,
) {
    let count = spec.count;
    let jlo = taps.iter().map(|t| t.lo).max().unwrap_or(0);
    let jhi = taps.iter().map(|t| t.hi).min().unwrap_or(count).max(jlo);
    let border = (0..jlo).chain(jhi..count);
    for j in border {
        scratch.clear();
        scratch.extend(
            taps.iter()
                .filter(|t| (t.lo..t.hi).contains(&j))
                .map(|t| tap_at(t, j, spec.a_jstep)),
        );
        let mut acc = [spec.seed; MR];
        accumulate(
            &mut acc,
            scratch,
            spec.kdim,
            spec.a,
            AView::rows(1, 0, 0, 1),
            spec.b,
            NR,
        );
        store(
            &acc,
            1,
            spec.nr,
            out,
            out_base + j * spec.out_jstep,
            spec.out_jstep,
        );
    }
    if jlo == jhi {
        return;
    }
    scratch.clear();
    scratch.extend(taps.iter().map(|t| tap_at(t, jlo, spec.a_jstep)));
    let mut j = jlo;
    while j < jhi {
        let mr = MR.min(jhi - j);
        let mut acc = [spec.seed; MR];
        let av = AView::rows(mr, (j - jlo) * spec.a_jstep, spec.a_jstep, 1);
        accumulate(&mut acc, scratch, spec.kdim, spec.a, av, spec.b, NR);
        store(
            &acc,
            mr,
            spec.nr,
            out,
            out_base + j * spec.out_jstep,
            spec.out_jstep,
        );
        j += mr;
    }
}
