//! `dB`: the sum of `dY` over batch and positions, accumulated in f64.

use crate::geometry::Geometry;
use crate::kernels::Kernel;
use crate::parallel::map_range;

/// How one input size's `dB` is cut: `chunks` of `per` rows of partial sums, each summing
/// `lanes` rows at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BiasSplit {
    chunks: usize,
    per: usize,
    lanes: usize,
}

impl BiasSplit {
    pub(crate) fn new(geo: &Geometry) -> Self {
        let f = geo.filters;
        let rows = geo.output_len() / f;
        // Up to 64 chunks of partial sums, fewer when many filters make them large (16 KiB
        // of them in all): the chunks do not depend on the threads, so the sums are
        // reproducible.
        let chunks = rows.clamp(1, (2048 / f).clamp(8, 64));
        Self {
            chunks,
            per: rows.div_ceil(chunks),
            // Rows go `lanes` at a time into as many sets of sums, so that few filters (one:
            // a single chain of dependent adds) still keep about 8 independent sums going.
            lanes: (8 / f).max(1),
        }
    }
}

/// `dB[f]` from channels-last `dY` of the input size of `geo` (`db`'s length checked by the
/// caller).
pub(crate) fn run<T: Kernel>(geo: &Geometry, split: &BiasSplit, dy: &[T], db: &mut [T]) {
    let f = geo.filters;
    let len = geo.output_len();
    let BiasSplit {
        chunks,
        per,
        lanes: w,
    } = *split;
    let partials = map_range(chunks, |ch| {
        let mut acc = vec![0f64; w * f];
        let part = &dy[(ch * per * f).min(len)..((ch + 1) * per * f).min(len)];
        let whole = part.chunks_exact(w * f);
        let rest = whole.remainder();
        for rows in whole {
            acc.iter_mut()
                .zip(rows)
                .for_each(|(a, &v)| *a += v.to_f64());
        }
        acc.iter_mut()
            .zip(rest)
            .for_each(|(a, &v)| *a += v.to_f64());
        (0..f)
            .map(|fi| acc.iter().skip(fi).step_by(f).sum())
            .collect::<Vec<f64>>()
    });
    for (fi, d) in db.iter_mut().enumerate() {
        *d = T::from_f64(partials.iter().map(|p| p[fi]).sum());
    }
}
