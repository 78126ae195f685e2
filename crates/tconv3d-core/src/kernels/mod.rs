//! Register tiles every fast path runs, one implementation per element type and target:
//! SIMD128 on wasm32 (`simd128` target feature), a portable version of the same blocking
//! elsewhere so native tests walk the same tiling and remainder logic.
//!
//! The tiles:
//! - [`Kernel::igemm`]: `MR` output rows x `NR` output channels of an indirect GEMM. Each row
//!   reads, per tap, its own A row of `kc` contiguous values (activations; a shared zero row
//!   where the tap falls outside the tensor) against a packed B panel `[tap][kc][NR]`
//!   (weights). Forward and dX use it.
//! - [`Kernel::lanes`]: the same sums for up to `LANE_ROWS` consecutive outputs in SIMD lanes,
//!   each filter a dot product: the forward pass with fewer than 4 filters.
//! - [`Kernel::outer`]: `MR` x `NR` sums of outer products over runs of voxels, for dW, and
//!   [`Kernel::outer_narrow`] with up to `WIDE_ROWS` rows in lanes against fewer than `NR`
//!   columns (few filters or few channels).

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod portable;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;

use crate::element::Element;

/// Which tiles this build compiled: `"simd128"` (wasm32 with the `simd128` target feature),
/// `"simd128+relaxed-simd"` (with `relaxed-simd` too: fused multiply-adds) or `"portable"`.
/// The tests check it, so that a wasm32 test run cannot test the portable tiles unnoticed.
pub const IMPLEMENTATION: &str = tiles::NAME;

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
use portable as tiles;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use simd128 as tiles;

/// Rows of a tile (output voxels).
pub const MR: usize = 4;
/// Columns of a tile (output channels); packed weight panels are this wide.
pub const NR: usize = 8;

/// A run of `len` voxels for [`Kernel::outer`]: A values at `a + kk*a_step + r`, B values at
/// `b + kk*b_step + q` (offsets in elements).
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub a: usize,
    pub b: usize,
    pub len: usize,
}

/// Below this many filters per group the forward pass puts output rows in SIMD lanes
/// ([`Kernel::lanes`]) where it can, instead of filters ([`Kernel::igemm`]).
pub const LANES_BELOW_FILTERS: usize = 4;

/// Most rows one [`Kernel::lanes`] call computes (4 vectors of 4 f32).
pub const LANE_ROWS: usize = 16;

/// Most rows (channels) one [`Kernel::outer_narrow`] call sums (8 vectors of 4 f32).
pub const WIDE_ROWS: usize = 32;

/// How many tiles of `k` steps should share each weight panel: as many as keep their A rows
/// (`MR*k` values of `size` bytes each) within about 256 KiB of cache, 1 to 16.
pub fn tiles_per_block(k: usize, size: usize) -> usize {
    (256 * 1024 / (MR * k * size).max(1)).clamp(1, 16)
}

/// Inner-dimension steps (taps x channels) one tile call covers at most: longer sums are
/// split into tap groups whose A rows and weight panel stay in L1/L2, the later groups
/// seeded with the partial outputs.
pub const K_BLOCK: usize = 1024;

/// One A row of [`Kernel::igemm`]: element `c` at `ptr + c*step`.
#[derive(Clone, Copy, Debug)]
pub struct ARow<T> {
    pub ptr: *const T,
    pub step: usize,
}

/// Strides shared by the runs of one [`Kernel::outer`] call.
#[derive(Clone, Copy, Debug)]
pub struct RunSteps {
    pub a: usize,
    pub b: usize,
}

/// The tiles of one element type.
pub trait Kernel: Element {
    /// `out[r][q*out_step] = seed[r][q] + sum over t < nt, c < kc of A(t, r)[c] * b[(t*kc + c)*NR + q]`
    /// for `r < mr`, `q < nr`, where `A(t, r)[c]` is `a[t*MR + r].ptr[c*step]`. A rows and
    /// output rows may be strided (channels-first tensors); a zero row is one zero, step 0.
    ///
    /// # Safety
    /// `a` holds `nt*MR` rows, each valid for reading elements `c*step` for `c < kc`; `b` is
    /// valid for reading `nt*kc*NR` elements; each `out[r]` with `r < mr` is valid for writing
    /// elements `q*out_step` for `q < nr`, and no other thread accesses those elements
    /// meanwhile; `1 <= mr <= MR`, `1 <= nr <= NR`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn igemm(
        kc: usize,
        nt: usize,
        a: &[ARow<Self>],
        b: *const Self,
        seed: &[[Self; NR]; MR],
        out: &[*mut Self; MR],
        out_step: usize,
        mr: usize,
        nr: usize,
    );

    /// The same sums as [`Kernel::igemm`] for `rows <= LANE_ROWS` rows that are consecutive
    /// elements of the input lines (first spatial axis contiguous): rows go in SIMD lanes and
    /// each filter column `q < nr` is a separate dot product, so narrow outputs (few filters,
    /// e.g. one) waste no lanes. Row `r` of tap `t` reads `a[t].add(c*a_step + r)`, a null
    /// `a[t]` adds nothing (the tap's line is outside the input), nor does tap `t` to row `r`
    /// when bit `r` of `valid[t]` is clear (the row's input lies past the line's end: what
    /// is read there is ignored, NaN included); an empty `valid` means every bit set. Row
    /// `r`, column `q` is stored at `out.add(r*row_step + q*out_step)`, seeded with `seed[q]`.
    ///
    /// # Safety
    /// Each non-null `a[t]` is valid for reading elements `c*a_step + r`, `c < kc`, `r` below
    /// `rows` rounded up to a multiple of `MR` (whole vectors are read, masked or not); `b`
    /// for `a.len()*kc*NR` elements; `out` valid for writing `r*row_step + q*out_step`,
    /// `r < rows`, `q < nr`, with no other thread accessing them; `valid` empty or as long as
    /// `a`; `1 <= rows <= LANE_ROWS`, `1 <= nr <= NR`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn lanes(
        kc: usize,
        a: &[*const Self],
        valid: &[u16],
        a_step: usize,
        b: *const Self,
        seed: &[Self; NR],
        out: *mut Self,
        row_step: usize,
        rows: usize,
        out_step: usize,
        nr: usize,
    );

    /// `acc[r][q] += sum over runs, kk < len of a[run.a + kk*steps.a + r] * b[run.b + kk*steps.b + q]`
    /// for a full `MR x NR` tile.
    ///
    /// # Safety
    /// For every run and `kk < len`, `a` is valid for reading `MR` elements at
    /// `run.a + kk*steps.a` and `b` for reading `NR` elements at `run.b + kk*steps.b`.
    unsafe fn outer(
        acc: &mut [[Self; NR]; MR],
        runs: &[Run],
        steps: RunSteps,
        a: *const Self,
        b: *const Self,
    );

    /// [`Kernel::outer`] for few filters (`nr < NR` columns) and up to `WIDE_ROWS` rows:
    /// `acc[q][r] += sum over runs, kk < len of a[run.a + kk*steps.a + r] * b[run.b + kk*steps.b + q]`
    /// for `r < rows`, `q < nr`. Rows go in SIMD lanes (a voxel's channels, or its filters
    /// when the channels are fewer), one broadcast B value per column and step.
    ///
    /// # Safety
    /// For every run and `kk < len`, `a` is valid for reading `rows` rounded up to a multiple
    /// of `MR` elements at `run.a + kk*steps.a`, and `b` for reading `nr` elements at
    /// `run.b + kk*steps.b`; `1 <= rows <= WIDE_ROWS`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn outer_narrow(
        acc: &mut [[Self; WIDE_ROWS]; NR],
        rows: usize,
        runs: &[Run],
        steps: RunSteps,
        a: *const Self,
        b: *const Self,
        nr: usize,
    );

    /// `dst[i*d_step + c] = src[c*s_step + i]` for `i < n`, `c < m`: `m` runs of `n`
    /// contiguous elements (channels of a channels-first line) written as `n` runs of `m`
    /// contiguous elements (the same voxels, channels-last), in register blocks.
    ///
    /// # Safety
    /// `src` is valid for reading and `dst` for writing at those offsets, no other thread
    /// writes either meanwhile, and they do not overlap.
    unsafe fn transpose(
        src: *const Self,
        s_step: usize,
        dst: *mut Self,
        d_step: usize,
        n: usize,
        m: usize,
    );
}

macro_rules! portable_kernel {
    ($t:ty) => {
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        impl Kernel for $t {
            unsafe fn igemm(
                kc: usize,
                nt: usize,
                a: &[ARow<Self>],
                b: *const Self,
                seed: &[[Self; NR]; MR],
                out: &[*mut Self; MR],
                out_step: usize,
                mr: usize,
                nr: usize,
            ) {
                // SAFETY: the caller upholds `igemm`'s contract, which is `portable::igemm`'s.
                unsafe { portable::igemm(kc, nt, a, b, seed, out, out_step, mr, nr) }
            }
            #[allow(clippy::too_many_arguments)]
            unsafe fn lanes(
                kc: usize,
                a: &[*const Self],
                valid: &[u16],
                a_step: usize,
                b: *const Self,
                seed: &[Self; NR],
                out: *mut Self,
                row_step: usize,
                rows: usize,
                out_step: usize,
                nr: usize,
            ) {
                // SAFETY: as above, the contracts are the same.
                unsafe {
                    portable::lanes(
                        kc, a, valid, a_step, b, seed, out, row_step, rows, out_step, nr,
                    )
                }
            }
            unsafe fn outer(
                acc: &mut [[Self; NR]; MR],
                runs: &[Run],
                steps: RunSteps,
                a: *const Self,
                b: *const Self,
            ) {
                // SAFETY: as above, the contracts are the same.
                unsafe { portable::outer(acc, runs, steps, a, b) }
            }
            #[allow(clippy::too_many_arguments)]
            unsafe fn outer_narrow(
                acc: &mut [[Self; WIDE_ROWS]; NR],
                rows: usize,
                runs: &[Run],
                steps: RunSteps,
                a: *const Self,
                b: *const Self,
                nr: usize,
            ) {
                // SAFETY: as above, the contracts are the same.
                unsafe { portable::outer_narrow(acc, rows, runs, steps, a, b, nr) }
            }
            unsafe fn transpose(
                src: *const Self,
                s_step: usize,
                dst: *mut Self,
                d_step: usize,
                n: usize,
                m: usize,
            ) {
                // SAFETY: as above, the contracts are the same.
                unsafe { transpose_scalar(src, s_step, dst, d_step, 0..n, 0..m) }
            }
        }
    };
}

/// [`Kernel::transpose`] element by element over ranges of `i` and `c`: the portable
/// version, and the SIMD versions' edges.
///
/// # Safety
/// As [`Kernel::transpose`] for those ranges.
#[inline(always)]
pub(crate) unsafe fn transpose_scalar<T: Copy>(
    src: *const T,
    s_step: usize,
    dst: *mut T,
    d_step: usize,
    is: core::ops::Range<usize>,
    cs: core::ops::Range<usize>,
) {
    for c in cs {
        for i in is.clone() {
            // SAFETY: inside the ranges the caller grants.
            unsafe { *dst.add(i * d_step + c) = *src.add(c * s_step + i) };
        }
    }
}

portable_kernel!(f32);
portable_kernel!(f64);

/// [`Kernel::igemm`] over the runs of steps (`MR` A rows each, `kc` values, `kc*NR` packed
/// weights from `b`) that read data for some row: a step whose rows are all the zero row
/// `zero` adds nothing (most steps when the input is a few voxels, e.g. a 1x1x1 latent code),
/// so it is skipped. `seed`: the tile's seeds for its first group of steps (bias or zeros);
/// `None` when the outputs already hold partial sums. With nothing to add, a first group
/// still stores its seeds.
///
/// # Safety
/// As [`Kernel::igemm`] for all `rows.len() / MR` steps; with `seed` `None`, the outputs hold
/// the partial sums and no other thread writes them.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn igemm_live<T: Kernel>(
    kc: usize,
    rows: &[ARow<T>],
    zero: *const T,
    b: *const T,
    seed: Option<[[T; NR]; MR]>,
    out: &[*mut T; MR],
    out_step: usize,
    mr: usize,
    nr: usize,
) {
    let steps = rows.len() / MR;
    let live = |t: usize| rows[t * MR..(t + 1) * MR].iter().any(|a| a.ptr != zero);
    let mut first = seed;
    let mut t = 0;
    while t < steps {
        if !live(t) {
            t += 1;
            continue;
        }
        let start = t;
        while t < steps && live(t) {
            t += 1;
        }
        let seeds = match first.take() {
            Some(s) => s,
            // SAFETY: the caller's outputs, holding the sums so far (stored by the caller or
            // by the previous run).
            None => unsafe { partial_sums(out, out_step, nr) },
        };
        // SAFETY: steps start..t of the caller's grant, and their packed weights.
        unsafe {
            T::igemm(
                kc,
                t - start,
                &rows[start * MR..t * MR],
                b.wrapping_add(start * kc * NR),
                &seeds,
                out,
                out_step,
                mr,
                nr,
            )
        };
    }
    if let Some(s) = first {
        // SAFETY: no step is read; the outputs are the caller's.
        unsafe { T::igemm(kc, 0, &[], b, &s, out, out_step, mr, nr) };
    }
}

/// Reads back the partial sums a tile stored, as seeds for its next tap group (columns past
/// `nr` are zero).
///
/// # Safety
/// Each `out[r]` is valid for reading elements `q*stride`, `q < nr`, and no other thread
/// writes them meanwhile.
pub(crate) unsafe fn partial_sums<T: Copy + Default>(
    out: &[*mut T; MR],
    stride: usize,
    nr: usize,
) -> [[T; NR]; MR] {
    let mut seeds = [[T::default(); NR]; MR];
    for (row, &src) in seeds.iter_mut().zip(out) {
        for (q, v) in row.iter_mut().enumerate().take(nr) {
            // SAFETY: `src` is valid for reads at `q*stride` for `q < nr`.
            *v = unsafe { *src.add(q * stride) };
        }
    }
    seeds
}

/// Stores rows `r < mr`, columns `q < nr` of `acc` through `out`, `stride` apart.
///
/// # Safety
/// As [`Kernel::igemm`]'s `out`.
#[inline(always)]
pub(crate) unsafe fn store<T: Copy>(
    acc: &[[T; NR]; MR],
    out: &[*mut T; MR],
    stride: usize,
    mr: usize,
    nr: usize,
) {
    for (row, &dst) in acc.iter().zip(out).take(mr) {
        for (q, &v) in row.iter().enumerate().take(nr) {
            // SAFETY: `dst` is valid for writes at `q*stride` for `q < nr`.
            unsafe { *dst.add(q * stride) = v };
        }
    }
}
