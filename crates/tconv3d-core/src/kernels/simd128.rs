//! The tiles in WebAssembly SIMD128. No FMA in SIMD128: mul + add. V8 on x64 allocates 15
//! vector registers, so a tile keeps at most 8 accumulators live (4 rows x 2 vectors of f32,
//! or 4 rows x 2 vectors of f64 over half the columns at a time).

use core::arch::wasm32::*;

use super::{store, transpose_scalar, ARow, Kernel, Run, RunSteps, LANE_ROWS, MR, NR, WIDE_ROWS};

/// [`super::IMPLEMENTATION`] in this build: relaxed SIMD where the multiply-adds below use it.
pub(super) const NAME: &str = if cfg!(target_feature = "relaxed-simd") {
    "simd128+relaxed-simd"
} else {
    "simd128"
};

/// `acc + a*b`: one fused multiply-add in a relaxed-SIMD build (`relaxed_madd`, fused or
/// not as the hardware does it), else a multiply and an add.
#[inline(always)]
fn madd_f32(acc: v128, a: v128, b: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    return f32x4_relaxed_madd(a, b, acc);
    #[cfg(not(target_feature = "relaxed-simd"))]
    f32x4_add(acc, f32x4_mul(a, b))
}

/// `acc + (a0*w0 + a1*w1)`: two channels' products summed before they join `acc`, so that one
/// add chain per vector hides the latency with few registers live (eight chains, two per
/// vector, made V8 keep accumulators on the stack); in a relaxed-SIMD build a multiply, a
/// fused multiply-add and the add (two fused multiply-adds chained on `acc` would make one
/// dependent chain of two latencies per pair).
#[inline(always)]
fn madd2_f32(acc: v128, a0: v128, w0: v128, a1: v128, w1: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    return f32x4_add(acc, f32x4_relaxed_madd(a1, w1, f32x4_mul(a0, w0)));
    #[cfg(not(target_feature = "relaxed-simd"))]
    f32x4_add(acc, f32x4_add(f32x4_mul(a0, w0), f32x4_mul(a1, w1)))
}

/// As [`madd_f32`], for f64.
#[inline(always)]
fn madd_f64(acc: v128, a: v128, b: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    return f64x2_relaxed_madd(a, b, acc);
    #[cfg(not(target_feature = "relaxed-simd"))]
    f64x2_add(acc, f64x2_mul(a, b))
}

/// As [`madd2_f32`], for f64.
#[inline(always)]
fn madd2_f64(acc: v128, a0: v128, w0: v128, a1: v128, w1: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    return f64x2_add(acc, f64x2_relaxed_madd(a1, w1, f64x2_mul(a0, w0)));
    #[cfg(not(target_feature = "relaxed-simd"))]
    f64x2_add(acc, f64x2_add(f64x2_mul(a0, w0), f64x2_mul(a1, w1)))
}

/// Lane masks of `valid`'s bits (see [`Kernel::lanes`]): vector `v`, lane `l` all ones when
/// bit `LANES*v + l` is set, else zero; `and`ed with the loads, they clear what a tap must
/// not add (whatever was read, NaN included).
#[inline(always)]
fn lane_masks<const V: usize, const LANES: usize>(valid: u16) -> [v128; V] {
    core::array::from_fn(|v| lane_mask::<LANES>(valid, v))
}

/// Vector `v` of [`lane_masks`].
#[inline(always)]
fn lane_mask<const LANES: usize>(valid: u16, v: usize) -> v128 {
    let bit = |l: usize| (valid >> (LANES * v + l) & 1) != 0;
    match LANES {
        4 => i32x4(
            -i32::from(bit(0)),
            -i32::from(bit(1)),
            -i32::from(bit(2)),
            -i32::from(bit(3)),
        ),
        _ => i64x2(-i64::from(bit(0)), -i64::from(bit(1))),
    }
}

/// [`Kernel::outer_narrow`] for one element type: `$lanes` rows per vector, `$splat` and
/// `$madd` its broadcast and multiply-add.
macro_rules! outer_narrow {
    ($t:ty, $lanes:literal, $splat:ident, $madd:ident) => {
        #[inline(always)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn outer_narrow(
            acc: &mut [[$t; WIDE_ROWS]; NR],
            rows: usize,
            runs: &[Run],
            steps: RunSteps,
            a: *const $t,
            b: *const $t,
            nr: usize,
        ) {
            // Vectors of $lanes rows, VB at a time (with 8, V8 kept a sum on the stack: one
            // chain of adds through memory); rows rounded up to MR.
            const VB: usize = 4;
            let vectors = rows.div_ceil(MR) * (MR / $lanes);
            for (q, acc_q) in acc.iter_mut().enumerate().take(nr) {
                for first in (0..vectors).step_by(VB) {
                    let nv = (vectors - first).min(VB);
                    // SAFETY (block): reads of A at `r < rows` rounded up to MR and of B's
                    // column `q < nr` at each run step, as the contract grants; `acc_q` holds
                    // WIDE_ROWS elements, and vectors `first..first + nv` lie inside it.
                    unsafe {
                        let dst = acc_q.as_mut_ptr().add($lanes * first);
                        let mut sums: [v128; VB] = core::array::from_fn(|v| {
                            if v < nv {
                                v128_load(dst.add($lanes * v) as *const v128)
                            } else {
                                $splat(0.0)
                            }
                        });
                        for run in runs {
                            let (mut ap, mut bp) =
                                (a.add(run.a + $lanes * first), b.add(run.b + q));
                            for _ in 0..run.len {
                                let w = $splat(*bp);
                                // A constant count when whole, so the sums stay in registers.
                                if nv == VB {
                                    for (v, sv) in sums.iter_mut().enumerate() {
                                        let av = v128_load(ap.add($lanes * v) as *const v128);
                                        *sv = $madd(*sv, av, w);
                                    }
                                } else {
                                    for (v, sv) in sums.iter_mut().enumerate().take(nv) {
                                        let av = v128_load(ap.add($lanes * v) as *const v128);
                                        *sv = $madd(*sv, av, w);
                                    }
                                }
                                ap = ap.wrapping_add(steps.a);
                                bp = bp.wrapping_add(steps.b);
                            }
                        }
                        for (v, sv) in sums.iter().enumerate().take(nv) {
                            v128_store(dst.add($lanes * v) as *mut v128, *sv);
                        }
                    }
                }
            }
        }
    };
}

/// `tap16_f32` / `tap16_f64`: one tap's part of a 16-row [`Kernel::lanes`] call for one
/// filter (`bt`: its weights, `NR` apart), two channels at a time (`madd2`); with `MASKED`,
/// the loads are `and`ed with `m` first.
///
/// # Safety
/// `p` is valid for reading 16 elements at `c*a_step`, `c < kc`, and `bt` at `c*NR`.
macro_rules! tap16 {
    ($name:ident, $t:ty, $lanes:literal, $splat:ident, $madd:ident, $madd2:ident) => {
        #[inline(always)]
        unsafe fn $name<const MASKED: bool>(
            kc: usize,
            p: *const $t,
            a_step: usize,
            bt: *const $t,
            m: &[v128],
            sums: &mut [v128; 16 / $lanes],
        ) {
            // A function, not a closure: closures in these loops are not inlined in every
            // build.
            #[inline(always)]
            unsafe fn ld<const MASKED: bool>(q: *const $t, v: usize, m: &[v128]) -> v128 {
                // SAFETY: inside the 16 elements the caller grants at this channel.
                let x = unsafe { v128_load(q.add($lanes * v) as *const v128) };
                if MASKED {
                    v128_and(x, m[v])
                } else {
                    x
                }
            }
            let mut c = 0;
            // SAFETY (block): channel reads `c < kc` at `c*a_step` and weights at `c*NR`, as
            // granted.
            unsafe {
                while c + 2 <= kc {
                    let (w0, w1) = ($splat(*bt.add(c * NR)), $splat(*bt.add((c + 1) * NR)));
                    let (p0, p1) = (p.add(c * a_step), p.add((c + 1) * a_step));
                    for (v, sv) in sums.iter_mut().enumerate() {
                        *sv = $madd2(*sv, ld::<MASKED>(p0, v, m), w0, ld::<MASKED>(p1, v, m), w1);
                    }
                    c += 2;
                }
                if c < kc {
                    let w = $splat(*bt.add(c * NR));
                    let pc = p.add(c * a_step);
                    for (v, sv) in sums.iter_mut().enumerate() {
                        *sv = $madd(*sv, ld::<MASKED>(pc, v, m), w);
                    }
                }
            }
        }
    };
}
tap16!(tap16_f32, f32, 4, f32x4_splat, madd_f32, madd2_f32);
tap16!(tap16_f64, f64, 2, f64x2_splat, madd_f64, madd2_f64);

impl Kernel for f32 {
    #[inline(always)]
    unsafe fn igemm(
        kc: usize,
        nt: usize,
        a: &[ARow<f32>],
        b: *const f32,
        seed: &[[f32; NR]; MR],
        out: &[*mut f32; MR],
        out_step: usize,
        mr: usize,
        nr: usize,
    ) {
        // SAFETY (whole body): pointer reads stay within the ranges `igemm`'s contract grants:
        // A rows at `c*step` for `c < kc`, B for `nt*kc*NR`, seeds `MR x NR`; stores go to
        // rows `r < mr`, `nr` elements `out_step` apart.
        unsafe {
            let ld = |r: usize, h: usize| v128_load(seed[r].as_ptr().add(4 * h) as *const v128);
            let (mut c00, mut c01, mut c10, mut c11) = (ld(0, 0), ld(0, 1), ld(1, 0), ld(1, 1));
            let (mut c20, mut c21, mut c30, mut c31) = (ld(2, 0), ld(2, 1), ld(3, 0), ld(3, 1));
            let mut bp = b;
            for t in 0..nt {
                let [r0, r1, r2, r3] = [a[t * MR], a[t * MR + 1], a[t * MR + 2], a[t * MR + 3]];
                let (mut p0, mut p1, mut p2, mut p3) = (r0.ptr, r1.ptr, r2.ptr, r3.ptr);
                for _ in 0..kc {
                    let b0 = v128_load(bp as *const v128);
                    let b1 = v128_load(bp.add(4) as *const v128);
                    bp = bp.add(NR);
                    let a0 = f32x4_splat(*p0);
                    c00 = madd_f32(c00, a0, b0);
                    c01 = madd_f32(c01, a0, b1);
                    let a1 = f32x4_splat(*p1);
                    c10 = madd_f32(c10, a1, b0);
                    c11 = madd_f32(c11, a1, b1);
                    let a2 = f32x4_splat(*p2);
                    c20 = madd_f32(c20, a2, b0);
                    c21 = madd_f32(c21, a2, b1);
                    let a3 = f32x4_splat(*p3);
                    c30 = madd_f32(c30, a3, b0);
                    c31 = madd_f32(c31, a3, b1);
                    // wrapping: the pointer past the last element is never read.
                    (p0, p1, p2, p3) = (
                        p0.wrapping_add(r0.step),
                        p1.wrapping_add(r1.step),
                        p2.wrapping_add(r2.step),
                        p3.wrapping_add(r3.step),
                    );
                }
            }
            let rows = [[c00, c01], [c10, c11], [c20, c21], [c30, c31]];
            if nr == NR && out_step == 1 {
                for r in 0..mr {
                    v128_store(out[r] as *mut v128, rows[r][0]);
                    v128_store(out[r].add(4) as *mut v128, rows[r][1]);
                }
            } else {
                let mut acc = [[0f32; NR]; MR];
                for r in 0..MR {
                    v128_store(acc[r].as_mut_ptr() as *mut v128, rows[r][0]);
                    v128_store(acc[r].as_mut_ptr().add(4) as *mut v128, rows[r][1]);
                }
                store(&acc, out, out_step, mr, nr);
            }
        }
    }

    #[inline(always)]
    unsafe fn lanes(
        kc: usize,
        a: &[*const f32],
        valid: &[u16],
        a_step: usize,
        b: *const f32,
        seed: &[f32; NR],
        out: *mut f32,
        row_step: usize,
        rows: usize,
        out_step: usize,
        nr: usize,
    ) {
        let nv = rows.div_ceil(4);
        for q in 0..nr {
            let mut sums = [f32x4_splat(seed[q]); 4];
            // SAFETY (block): reads of A at `c*a_step + r` for `c < kc`, `r < 4*nv` (`rows`
            // rounded up to MR = 4) and of B at `(t*kc + c)*NR + q`, as the contract grants;
            // writes to the local `sums` and to `out` at rows `r < rows`.
            unsafe {
                if nv == 4 {
                    // 16 rows: one broadcast weight for all four vectors.
                    for (t, &p) in a.iter().enumerate().filter(|(_, p)| !p.is_null()) {
                        let bt = b.add(t * kc * NR + q);
                        // The unmasked loop for taps that add to every row, the usual case.
                        match valid.get(t) {
                            Some(&m) if m != u16::MAX => {
                                let m = lane_masks::<4, 4>(m);
                                tap16_f32::<true>(kc, p, a_step, bt, &m, &mut sums)
                            }
                            _ => tap16_f32::<false>(kc, p, a_step, bt, &[], &mut sums),
                        }
                    }
                } else {
                    for (v, sv) in sums.iter_mut().enumerate().take(nv) {
                        // Four partial sums over interleaved channels hide the add latency.
                        let mut part = [f32x4_splat(0.0); 4];
                        for (t, &p) in a.iter().enumerate().filter(|(_, p)| !p.is_null()) {
                            let (bt, pv) = (b.add(t * kc * NR + q), p.add(4 * v));
                            let m = lane_mask::<4>(valid.get(t).copied().unwrap_or(u16::MAX), v);
                            let mut c = 0;
                            while c + 4 <= kc {
                                for (u, pu) in part.iter_mut().enumerate() {
                                    let av = v128_load(pv.add((c + u) * a_step) as *const v128);
                                    let av = v128_and(av, m);
                                    *pu = madd_f32(*pu, av, f32x4_splat(*bt.add((c + u) * NR)));
                                }
                                c += 4;
                            }
                            while c < kc {
                                let av = v128_and(v128_load(pv.add(c * a_step) as *const v128), m);
                                part[0] = madd_f32(part[0], av, f32x4_splat(*bt.add(c * NR)));
                                c += 1;
                            }
                        }
                        *sv = f32x4_add(
                            *sv,
                            f32x4_add(f32x4_add(part[0], part[1]), f32x4_add(part[2], part[3])),
                        );
                    }
                }
                let mut vals = [0f32; LANE_ROWS];
                for (v, sv) in sums.iter().enumerate().take(nv) {
                    v128_store(vals.as_mut_ptr().add(4 * v) as *mut v128, *sv);
                }
                for (r, &val) in vals.iter().enumerate().take(rows) {
                    *out.add(r * row_step + q * out_step) = val;
                }
            }
        }
    }

    #[inline(always)]
    unsafe fn outer(
        acc: &mut [[f32; NR]; MR],
        runs: &[Run],
        steps: RunSteps,
        a: *const f32,
        b: *const f32,
    ) {
        // SAFETY (whole body): reads of MR values of A and NR of B at each run step, as the
        // contract grants; `acc` rows are NR = 8 floats, two v128 each.
        unsafe {
            let ld = |r: usize, h: usize| v128_load(acc[r].as_ptr().add(4 * h) as *const v128);
            let (mut c00, mut c01, mut c10, mut c11) = (ld(0, 0), ld(0, 1), ld(1, 0), ld(1, 1));
            let (mut c20, mut c21, mut c30, mut c31) = (ld(2, 0), ld(2, 1), ld(3, 0), ld(3, 1));
            for run in runs {
                let (mut ap, mut bp) = (a.add(run.a), b.add(run.b));
                for _ in 0..run.len {
                    let b0 = v128_load(bp as *const v128);
                    let b1 = v128_load(bp.add(4) as *const v128);
                    let a0 = v128_load32_splat(ap as *const u32);
                    c00 = madd_f32(c00, a0, b0);
                    c01 = madd_f32(c01, a0, b1);
                    let a1 = v128_load32_splat(ap.add(1) as *const u32);
                    c10 = madd_f32(c10, a1, b0);
                    c11 = madd_f32(c11, a1, b1);
                    let a2 = v128_load32_splat(ap.add(2) as *const u32);
                    c20 = madd_f32(c20, a2, b0);
                    c21 = madd_f32(c21, a2, b1);
                    let a3 = v128_load32_splat(ap.add(3) as *const u32);
                    c30 = madd_f32(c30, a3, b0);
                    ap = ap.wrapping_add(steps.a);
                    bp = bp.wrapping_add(steps.b);
                    c31 = madd_f32(c31, a3, b1);
                }
            }
            for (r, pair) in [[c00, c01], [c10, c11], [c20, c21], [c30, c31]]
                .iter()
                .enumerate()
            {
                v128_store(acc[r].as_mut_ptr() as *mut v128, pair[0]);
                v128_store(acc[r].as_mut_ptr().add(4) as *mut v128, pair[1]);
            }
        }
    }
    outer_narrow!(f32, 4, f32x4_splat, madd_f32);

    unsafe fn transpose(
        src: *const f32,
        s_step: usize,
        dst: *mut f32,
        d_step: usize,
        n: usize,
        m: usize,
    ) {
        let (n4, m4) = (n / 4 * 4, m / 4 * 4);
        for c in (0..m4).step_by(4) {
            for i in (0..n4).step_by(4) {
                // SAFETY (block): 4 runs of 4 elements read at `(c + q)*s_step + i`, 4 written
                // at `(i + r)*d_step + c`, `i + 4 <= n`, `c + 4 <= m`: inside the caller's grant.
                unsafe {
                    let [r0, r1, r2, r3]: [v128; 4] = core::array::from_fn(|q| {
                        v128_load(src.add((c + q) * s_step + i) as *const v128)
                    });
                    let t0 = i32x4_shuffle::<0, 4, 1, 5>(r0, r1);
                    let t1 = i32x4_shuffle::<2, 6, 3, 7>(r0, r1);
                    let t2 = i32x4_shuffle::<0, 4, 1, 5>(r2, r3);
                    let t3 = i32x4_shuffle::<2, 6, 3, 7>(r2, r3);
                    let out = [
                        i64x2_shuffle::<0, 2>(t0, t2),
                        i64x2_shuffle::<1, 3>(t0, t2),
                        i64x2_shuffle::<0, 2>(t1, t3),
                        i64x2_shuffle::<1, 3>(t1, t3),
                    ];
                    for (r, v) in out.into_iter().enumerate() {
                        v128_store(dst.add((i + r) * d_step + c) as *mut v128, v);
                    }
                }
            }
        }
        // SAFETY: the edges, inside the caller's grant.
        unsafe {
            transpose_scalar(src, s_step, dst, d_step, n4..n, 0..m4);
            transpose_scalar(src, s_step, dst, d_step, 0..n, m4..m);
        }
    }
}

impl Kernel for f64 {
    #[inline(always)]
    unsafe fn igemm(
        kc: usize,
        nt: usize,
        a: &[ARow<f64>],
        b: *const f64,
        seed: &[[f64; NR]; MR],
        out: &[*mut f64; MR],
        out_step: usize,
        mr: usize,
        nr: usize,
    ) {
        let mut acc = [[0f64; NR]; MR];
        // Two passes over half the columns each: 8 accumulators live, not 16.
        for h in 0..2 {
            // SAFETY (block): reads within the contract's ranges (A rows `kc`, B `nt*kc*NR`,
            // seeds `MR x NR`); writes to the local `acc`.
            unsafe {
                let ld = |r: usize, i: usize| {
                    v128_load(seed[r].as_ptr().add(4 * h + 2 * i) as *const v128)
                };
                let (mut c00, mut c01, mut c10, mut c11) = (ld(0, 0), ld(0, 1), ld(1, 0), ld(1, 1));
                let (mut c20, mut c21, mut c30, mut c31) = (ld(2, 0), ld(2, 1), ld(3, 0), ld(3, 1));
                let mut bp = b.add(4 * h);
                for t in 0..nt {
                    let [r0, r1, r2, r3] = [a[t * MR], a[t * MR + 1], a[t * MR + 2], a[t * MR + 3]];
                    let (mut p0, mut p1, mut p2, mut p3) = (r0.ptr, r1.ptr, r2.ptr, r3.ptr);
                    for _ in 0..kc {
                        let b0 = v128_load(bp as *const v128);
                        let b1 = v128_load(bp.add(2) as *const v128);
                        bp = bp.add(NR);
                        let a0 = f64x2_splat(*p0);
                        c00 = madd_f64(c00, a0, b0);
                        c01 = madd_f64(c01, a0, b1);
                        let a1 = f64x2_splat(*p1);
                        c10 = madd_f64(c10, a1, b0);
                        c11 = madd_f64(c11, a1, b1);
                        let a2 = f64x2_splat(*p2);
                        c20 = madd_f64(c20, a2, b0);
                        c21 = madd_f64(c21, a2, b1);
                        let a3 = f64x2_splat(*p3);
                        c30 = madd_f64(c30, a3, b0);
                        c31 = madd_f64(c31, a3, b1);
                        // wrapping: the pointer past the last element is never read.
                        (p0, p1, p2, p3) = (
                            p0.wrapping_add(r0.step),
                            p1.wrapping_add(r1.step),
                            p2.wrapping_add(r2.step),
                            p3.wrapping_add(r3.step),
                        );
                    }
                }
                for (r, pair) in [[c00, c01], [c10, c11], [c20, c21], [c30, c31]]
                    .iter()
                    .enumerate()
                {
                    v128_store(acc[r].as_mut_ptr().add(4 * h) as *mut v128, pair[0]);
                    v128_store(acc[r].as_mut_ptr().add(4 * h + 2) as *mut v128, pair[1]);
                }
            }
        }
        // SAFETY: forwarded from the caller.
        unsafe { store(&acc, out, out_step, mr, nr) };
    }

    #[inline(always)]
    unsafe fn lanes(
        kc: usize,
        a: &[*const f64],
        valid: &[u16],
        a_step: usize,
        b: *const f64,
        seed: &[f64; NR],
        out: *mut f64,
        row_step: usize,
        rows: usize,
        out_step: usize,
        nr: usize,
    ) {
        let nv = rows.div_ceil(2);
        for q in 0..nr {
            let mut sums = [f64x2_splat(seed[q]); LANE_ROWS / 2];
            // SAFETY (block): reads of A at `c*a_step + r` for `c < kc`, `r < 2*nv` (`rows`
            // rounded up to 2, at most to MR) and of B at `(t*kc + c)*NR + q`, as the contract
            // grants; writes to the local `sums` and to `out` at rows `r < rows`.
            unsafe {
                for (t, &p) in a.iter().enumerate().filter(|(_, p)| !p.is_null()) {
                    let bt = b.add(t * kc * NR + q);
                    let valid = valid.get(t).copied().unwrap_or(u16::MAX);
                    let m = lane_masks::<{ LANE_ROWS / 2 }, 2>(valid);
                    // 16 rows: as f32's (one broadcast weight for all vectors, the unmasked
                    // loop when the tap adds to every row).
                    if nv == LANE_ROWS / 2 {
                        if valid == u16::MAX {
                            tap16_f64::<false>(kc, p, a_step, bt, &[], &mut sums);
                        } else {
                            tap16_f64::<true>(kc, p, a_step, bt, &m, &mut sums);
                        }
                        continue;
                    }
                    for c in 0..kc {
                        let w = f64x2_splat(*bt.add(c * NR));
                        let pc = p.add(c * a_step);
                        for (v, sv) in sums.iter_mut().enumerate().take(nv) {
                            let av = v128_and(v128_load(pc.add(2 * v) as *const v128), m[v]);
                            *sv = madd_f64(*sv, av, w);
                        }
                    }
                }
                let mut vals = [0f64; LANE_ROWS];
                for (v, sv) in sums.iter().enumerate().take(nv) {
                    v128_store(vals.as_mut_ptr().add(2 * v) as *mut v128, *sv);
                }
                for (r, &val) in vals.iter().enumerate().take(rows) {
                    *out.add(r * row_step + q * out_step) = val;
                }
            }
        }
    }

    #[inline(always)]
    unsafe fn outer(
        acc: &mut [[f64; NR]; MR],
        runs: &[Run],
        steps: RunSteps,
        a: *const f64,
        b: *const f64,
    ) {
        for h in 0..2 {
            // SAFETY (block): reads of MR values of A and NR of B at each run step, as the
            // contract grants; `acc` rows are NR = 8 doubles.
            unsafe {
                let ld = |r: usize, i: usize| {
                    v128_load(acc[r].as_ptr().add(4 * h + 2 * i) as *const v128)
                };
                let (mut c00, mut c01, mut c10, mut c11) = (ld(0, 0), ld(0, 1), ld(1, 0), ld(1, 1));
                let (mut c20, mut c21, mut c30, mut c31) = (ld(2, 0), ld(2, 1), ld(3, 0), ld(3, 1));
                for run in runs {
                    let (mut ap, mut bp) = (a.add(run.a), b.add(run.b + 4 * h));
                    for _ in 0..run.len {
                        let a01 = v128_load(ap as *const v128);
                        let a23 = v128_load(ap.add(2) as *const v128);
                        let b0 = v128_load(bp as *const v128);
                        let b1 = v128_load(bp.add(2) as *const v128);
                        ap = ap.wrapping_add(steps.a);
                        bp = bp.wrapping_add(steps.b);
                        let a0 = i64x2_shuffle::<0, 0>(a01, a01);
                        c00 = madd_f64(c00, a0, b0);
                        c01 = madd_f64(c01, a0, b1);
                        let a1 = i64x2_shuffle::<1, 1>(a01, a01);
                        c10 = madd_f64(c10, a1, b0);
                        c11 = madd_f64(c11, a1, b1);
                        let a2 = i64x2_shuffle::<0, 0>(a23, a23);
                        c20 = madd_f64(c20, a2, b0);
                        c21 = madd_f64(c21, a2, b1);
                        let a3 = i64x2_shuffle::<1, 1>(a23, a23);
                        c30 = madd_f64(c30, a3, b0);
                        c31 = madd_f64(c31, a3, b1);
                    }
                }
                for (r, pair) in [[c00, c01], [c10, c11], [c20, c21], [c30, c31]]
                    .iter()
                    .enumerate()
                {
                    v128_store(acc[r].as_mut_ptr().add(4 * h) as *mut v128, pair[0]);
                    v128_store(acc[r].as_mut_ptr().add(4 * h + 2) as *mut v128, pair[1]);
                }
            }
        }
    }
    outer_narrow!(f64, 2, f64x2_splat, madd_f64);

    unsafe fn transpose(
        src: *const f64,
        s_step: usize,
        dst: *mut f64,
        d_step: usize,
        n: usize,
        m: usize,
    ) {
        let (n2, m2) = (n / 2 * 2, m / 2 * 2);
        for c in (0..m2).step_by(2) {
            for i in (0..n2).step_by(2) {
                // SAFETY (block): 2 runs of 2 elements read at `(c + q)*s_step + i`, 2 written
                // at `(i + r)*d_step + c`, `i + 2 <= n`, `c + 2 <= m`: inside the caller's grant.
                unsafe {
                    let r0 = v128_load(src.add(c * s_step + i) as *const v128);
                    let r1 = v128_load(src.add((c + 1) * s_step + i) as *const v128);
                    v128_store(
                        dst.add(i * d_step + c) as *mut v128,
                        i64x2_shuffle::<0, 2>(r0, r1),
                    );
                    v128_store(
                        dst.add((i + 1) * d_step + c) as *mut v128,
                        i64x2_shuffle::<1, 3>(r0, r1),
                    );
                }
            }
        }
        // SAFETY: the edges, inside the caller's grant.
        unsafe {
            transpose_scalar(src, s_step, dst, d_step, n2..n, 0..m2);
            transpose_scalar(src, s_step, dst, d_step, 0..n, m2..m);
        }
    }
}
