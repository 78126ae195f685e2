//! Gradients. `dX` is an ordinary strided, dilated correlation of `dY` with `W` (no flip),
//! run as an implicit GEMM over output rows of `dX` like the forward pass (rows whose taps
//! along axis 0 all survive the crop read them as one run of channels-last `dY`); `dW` is,
//! per tap, a `C/g x F/g` GEMM whose inner dimension runs over every input voxel, cut into
//! blocks of channels x filters x taps that each task writes into the tap-fastest `dW` a
//! group of taps at a time (few filters or channels: the wider side in SIMD lanes, read in
//! place); `dB` sums `dY` over batch and positions.

use crate::geometry::{checked_len, Geometry, GeometryError};
use crate::kernels::{
    igemm_live, partial_sums, tiles_per_block, ARow, Kernel, Run, RunSteps, K_BLOCK, MR, NR,
    WIDE_ROWS,
};
use crate::layout::Layout;
use crate::nonfinite::NonFinite;
use crate::parallel::{for_each_index, map_range, task_count, SharedOut};
use crate::reference::{input_extents, output_extents};
use crate::tensor::{check_len, check_output, check_span, with_channels_last_in};

/// Weights packed for `dX`: for each group and panel of `NR` channels, `[tap][filter][NR]`.
pub struct BackwardDataPlan<T> {
    geo: Geometry,
    packed: Vec<T>,
    panels: usize,
    /// NaN or infinite weights, packed as zeros and added by `run` where their taps reach.
    nonfinite: NonFinite<T>,
}

impl<T: Kernel> BackwardDataPlan<T> {
    /// Packs `w` (`[k0 k1 k2 F/g C/g g]` column-major).
    pub fn new(geo: &Geometry, w: &[T]) -> Result<Self, GeometryError> {
        check_len("weights", w.len(), geo.weight_len())?;
        let (w, nonfinite) = NonFinite::split(geo, w);
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        let panels = cg.div_ceil(NR);
        let [k0n, k1n, k2n] = geo.kernel_size();
        let len = checked_len(
            "the packed weights",
            &[geo.groups, panels, geo.taps(), fg, NR],
        )?;
        let mut packed = Vec::with_capacity(len);
        for g in 0..geo.groups {
            for cp in 0..panels {
                for k2 in 0..k2n {
                    for k1 in 0..k1n {
                        for k0 in 0..k0n {
                            for f in 0..fg {
                                packed.extend((0..NR).map(|q| {
                                    let c = cp * NR + q;
                                    if c < cg {
                                        w[geo.weight_index([k0, k1, k2], f, c, g)]
                                    } else {
                                        T::ZERO
                                    }
                                }));
                            }
                        }
                    }
                }
            }
        }
        Ok(Self {
            geo: *geo,
            packed,
            panels,
            nonfinite,
        })
    }

    /// `dX` from `dY`, any layouts; every element of `dX` inside the layout is written.
    pub fn run(&self, dy: &[T], yl: Layout, dx: &mut [T], xl: Layout) -> Result<(), GeometryError> {
        check_span("dLdY", dy.len(), yl, output_extents(&self.geo))?;
        check_output("dLdX", dx.len(), xl, input_extents(&self.geo))?;
        self.run_strided(dy, yl, dx, xl);
        self.nonfinite.backward_data(&self.geo, dy, yl, dx, xl);
        Ok(())
    }

    fn run_strided(&self, dy: &[T], yl: Layout, dx: &mut [T], xl: Layout) {
        let geo = &self.geo;
        let [a0, a1, a2] = geo.axes;
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        // Taps whose output is cropped away read this zero with step 0: no branch in the tile.
        let zero = [T::ZERO];
        let nt = geo.taps();
        // When one output voxel's filters are `yl.c` apart and the next voxel along axis 0
        // follows them (channels-last, one group) and taps along axis 0 are not dilated, a
        // row's K0 taps of axis 0 read one run of K0*fg values: rows whose K0 outputs all
        // survive the crop merge them into one A row of that length (the packing's order
        // already matches), K0 times fewer rows. Sums then go in units of K0 taps.
        let merge = a0.kernel > 1 && a0.dilation == 1 && yl.s[0] == fg * yl.c;
        let unit = if merge { a0.kernel } else { 1 };
        let units = nt / unit;
        // Long sums go in groups of about K_BLOCK steps (see `K_BLOCK`), whole units; tiles go
        // in blocks of as many as keep one group's A rows in cache, which share each weight
        // panel's slice while it is in cache.
        let group = (K_BLOCK / (unit * fg)).clamp(1, units);
        let mb = tiles_per_block(group * unit * fg, core::mem::size_of::<T>());
        // A row of few values (one filter, e.g. a 3D-GAN's last layer: K0 of them) costs the
        // tile a pointer setup per few multiply-adds: such a group's rows are packed once per
        // block, step by step in the order of the packed weights (MR values a step, zeros
        // for cropped taps), and every panel runs them as one long sum.
        let pack = unit * fg < NR;
        // dX positions ordered (n, i2, i1, i0), i0 fastest, in tiles of MR; tasks take a
        // range of tiles of one group and a range of panels. Every task reads its panels'
        // weights whole, so tiles are split only down to a block, then panels (few voxels and
        // many weights, e.g. gan-a, would otherwise read all weights once per task).
        let m = geo.batch * a2.input * a1.input * a0.input;
        let tiles = m.div_ceil(MR);
        let want = task_count(tiles * geo.groups * self.panels);
        let per_task = (tiles * geo.groups).div_ceil(want).max(mb).min(tiles);
        let chunks = tiles.div_ceil(per_task);
        let panel_parts = (want / (geo.groups * chunks)).clamp(1, self.panels);
        let per_part = self.panels.div_ceil(panel_parts);
        let panel_parts = self.panels.div_ceil(per_part);
        let out = SharedOut(dx.as_mut_ptr());
        for_each_index(geo.groups * chunks * panel_parts, |task| {
            let (g, chunk) = (task / (chunks * panel_parts), task / panel_parts % chunks);
            let panels = task % panel_parts * per_part
                ..((task % panel_parts + 1) * per_part).min(self.panels);
            let zero_row = ARow {
                ptr: zero.as_ptr(),
                step: 0,
            };
            // A rows of one group of units for every tile of the block (a merged tile's
            // first `group` rows, one per unit; another's one per tap): built per group, so
            // that many taps (matlab: 1331) take no more workspace than `group` of them.
            let mut a = vec![zero_row; mb * group * unit * MR];
            let mut packed_a = vec![T::ZERO; if pack { mb * group * unit * fg * MR } else { 0 }];
            let mut merged = vec![false; mb];
            let mut x_at = vec![[0usize; MR]; mb];
            // Per row: batch item and dX position, rows past `mr` repeating the last real one
            // (computed, never stored).
            let mut pos = vec![[(0usize, [0usize; 3]); MR]; mb];
            let mut mrs = vec![0usize; mb];
            let mut taps = Vec::with_capacity(group * unit);
            let task_tiles = chunk * per_task..((chunk + 1) * per_task).min(tiles);
            for first in task_tiles.clone().step_by(mb) {
                let block_tiles = first..(first + mb).min(task_tiles.end);
                for (bi, tile) in block_tiles.clone().enumerate() {
                    let mr = MR.min(m - tile * MR);
                    mrs[bi] = mr;
                    merged[bi] = merge
                        && (tile * MR..tile * MR + mr).all(|mi| {
                            let i0 = mi % a0.input;
                            a0.output_for(i0, 0).is_some()
                                && a0.output_for(i0, a0.kernel - 1).is_some()
                        });
                    for row in 0..MR {
                        let mi = tile * MR + row.min(mr - 1);
                        let i = [
                            mi % a0.input,
                            mi / a0.input % a1.input,
                            mi / (a0.input * a1.input) % a2.input,
                        ];
                        let n = mi / (a0.input * a1.input * a2.input);
                        pos[bi][row] = (n, i);
                        x_at[bi][row] = xl.offset(n, i, g * cg);
                    }
                }
                // Groups outside panels: a group's A rows stay in cache across all panels,
                // and each panel's slice of the group is read once per block.
                for u0 in (0..units).step_by(group) {
                    let u1 = (u0 + group).min(units);
                    // A tile's A rows in this group: values each and how many (a merged tile's
                    // one per unit, read on for K0*fg values; another's one per tap).
                    let sums_of = |bi: usize| {
                        if merged[bi] {
                            (unit * fg, u1 - u0)
                        } else {
                            (fg, (u1 - u0) * unit)
                        }
                    };
                    // The group's taps: position in their unit, and (k0, k1, k2).
                    taps.clear();
                    taps.extend((u0 * unit..u1 * unit).map(|tap| {
                        let k = [
                            tap % a0.kernel,
                            tap / a0.kernel % a1.kernel,
                            tap / (a0.kernel * a1.kernel),
                        ];
                        (tap % unit, k)
                    }));
                    for bi in 0..block_tiles.len() {
                        // A merged tile: one row per unit (tap k0 = 0's, read on for K0*fg
                        // values: all inside dY, since every tap of the unit survives along
                        // axis 0 and axes 1 and 2 are shared); others one per tap.
                        let per_unit = if merged[bi] { 1 } else { unit };
                        let rows = &mut a[bi * group * unit * MR..];
                        // A tap's dY line (offset of output 0 along axis 0) for a row at batch
                        // item n and dX position i, if the line survives the crop: shared by
                        // a tile's rows when they lie on one line, the usual case (few filters
                        // made building rows a fifth of dX).
                        let line = |n: usize, i: [usize; 3], k: [usize; 3]| match [1, 2]
                            .map(|ax| geo.axes[ax].output_for(i[ax], k[ax]))
                        {
                            [Some(o1), Some(o2)] => Some(yl.offset(n, [0, o1, o2], g * fg)),
                            _ => None,
                        };
                        let (n_first, i_first) = pos[bi][0];
                        let one_line = pos[bi].iter().all(|&(n, i)| {
                            n == n_first && i[1] == i_first[1] && i[2] == i_first[2]
                        });
                        for (t, &(_, k)) in taps.iter().filter(|(r, _)| *r < per_unit).enumerate() {
                            let shared = one_line.then(|| line(n_first, i_first, k));
                            for (row, &(n, i)) in pos[bi].iter().enumerate() {
                                let at = shared.unwrap_or_else(|| line(n, i, k));
                                rows[t * MR + row] = match (at, a0.output_for(i[0], k[0])) {
                                    (Some(at), Some(o0)) => {
                                        // SAFETY: (n, o, g*fg) is inside dY (span checked),
                                        // and so are the group's `fg` filters `yl.c` apart.
                                        let ptr = unsafe { dy.as_ptr().add(at + o0 * yl.s[0]) };
                                        ARow { ptr, step: yl.c }
                                    }
                                    _ => zero_row,
                                };
                            }
                        }
                    }
                    if pack {
                        for bi in 0..block_tiles.len() {
                            let (kc, count) = sums_of(bi);
                            let rows = &a[bi * group * unit * MR..][..count * MR];
                            let dst = &mut packed_a[bi * group * unit * fg * MR..];
                            for (st, step_rows) in rows.chunks_exact(MR).enumerate() {
                                for k in 0..kc {
                                    for (r, row) in step_rows.iter().enumerate() {
                                        // SAFETY: an A row holds `kc` values `step` apart (see
                                        // below), or is the zero with step 0.
                                        dst[(st * kc + k) * MR + r] =
                                            unsafe { *row.ptr.add(k * row.step) };
                                    }
                                }
                            }
                        }
                    }
                    for cp in panels.clone() {
                        let nr = NR.min(cg - cp * NR);
                        let panel = (g * self.panels + cp) * nt * fg * NR;
                        for bi in 0..block_tiles.len() {
                            // SAFETY: tiles, groups and panels are split between tasks and
                            // the layout is one-to-one, so these dX elements are touched by
                            // this task only; each row has `nr` channels `xl.c` apart left.
                            let outs = x_at[bi].map(|at| unsafe { out.at(at + cp * NR * xl.c) });
                            let (kc, count) = sums_of(bi);
                            // SAFETY: A rows are dY rows of `kc` values `yl.c` apart (a unit's
                            // K0*fg values follow each other, see `merge`) or the zero with step
                            // 0; the panel holds `nt*fg*NR` packed weights, of which units
                            // u0..u1 are read; outputs as above, holding the previous groups'
                            // sums.
                            let b =
                                unsafe { self.packed.as_ptr().add(panel + u0 * unit * fg * NR) };
                            let seed = (u0 == 0).then_some([[T::ZERO; NR]; MR]);
                            if pack {
                                // The packed steps: row r at `r`, MR apart, `count*kc` of them.
                                // One call, straight to the tile: `igemm_live`'s search for
                                // live steps has nothing to skip here and cost gan-d's dX 4%.
                                let at = packed_a[bi * group * unit * fg * MR..].as_ptr();
                                let rows: [ARow<T>; MR] = core::array::from_fn(|r| ARow {
                                    // SAFETY: inside the block's packed rows.
                                    ptr: unsafe { at.add(r) },
                                    step: MR,
                                });
                                let seeds = match seed {
                                    Some(s) => s,
                                    // SAFETY: this task's outputs, holding the previous
                                    // groups' sums.
                                    None => unsafe { partial_sums(&outs, xl.c, nr) },
                                };
                                // SAFETY: `count*kc` packed steps of MR rows and as many
                                // steps of packed weights; outputs as above.
                                unsafe {
                                    T::igemm(
                                        count * kc,
                                        1,
                                        &rows,
                                        b,
                                        &seeds,
                                        &outs,
                                        xl.c,
                                        mrs[bi],
                                        nr,
                                    )
                                };
                                continue;
                            }
                            let rows = &a[bi * group * unit * MR..][..count * MR];
                            // SAFETY: as above.
                            unsafe {
                                igemm_live(
                                    kc,
                                    rows,
                                    zero_row.ptr,
                                    b,
                                    seed,
                                    &outs,
                                    xl.c,
                                    mrs[bi],
                                    nr,
                                )
                            };
                        }
                    }
                }
            }
        });
    }
}

/// `dW` (`[k0 k1 k2 F/g C/g g]` column-major) from `X` and `dY`, any layouts.
pub fn backward_weights<T: Kernel>(
    geo: &Geometry,
    x: &[T],
    xl: Layout,
    dy: &[T],
    yl: Layout,
    dw: &mut [T],
) -> Result<(), GeometryError> {
    check_len("dLdW", dw.len(), geo.weight_len())?;
    let (xe, ye) = (input_extents(geo), output_extents(geo));
    with_channels_last_in("X", x, xl, xe, |x| {
        with_channels_last_in("dLdY", dy, yl, ye, |dy| {
            weights_channels_last(geo, x, dy, dw)
        })
    })?
}

/// Bytes of per-tap sums a `dW` task keeps so as to write a group of taps at once.
const DW_STAGE: usize = 256 * 1024;

fn weights_channels_last<T: Kernel>(geo: &Geometry, x: &[T], dy: &[T], dw: &mut [T]) {
    let [a0, a1, a2] = geo.axes;
    let (cg, fg, taps) = (
        geo.channels_per_group(),
        geo.filters_per_group(),
        geo.taps(),
    );
    let (xl, yl) = (
        Layout::channels_last(input_extents(geo)),
        Layout::channels_last(output_extents(geo)),
    );
    let ks = geo.kernel_size();
    let steps = RunSteps {
        a: xl.s[0],
        b: a0.stride * yl.s[0],
    };
    // dW(k, f, c, g) is at `((g*cg + c)*fg + f)*taps + tap`, the tap fastest. A task owns a
    // block of channels x filters x a range of taps, so it owns those spans of dW and writes
    // them while they stay in its cache: the block is halved (the longer side) until its
    // spans fit about 1 MiB (L2), but not below 256 channel-filter pairs, so that the per-voxel
    // packing of its X and dY rows (repeated for every block) stays small next to the
    // block's outer products. Taps are split when that leaves too few tasks for the threads.
    let size = core::mem::size_of::<T>();
    let (mut cb, mut fb) = (cg, fg);
    while cb * fb * taps * size > 1024 * 1024 && cb * fb >= 512 && (cb > MR || fb > NR) {
        if cb >= fb && cb > MR {
            cb = cb.div_ceil(2).next_multiple_of(MR);
        } else {
            fb = fb.div_ceil(2).next_multiple_of(NR);
        }
    }
    let blocks = geo.groups * cg.div_ceil(cb) * fg.div_ceil(fb);
    let tb = taps.div_ceil(task_count(blocks * taps).div_ceil(blocks).min(taps));
    let (c_blocks, f_blocks, t_blocks) = (cg.div_ceil(cb), fg.div_ceil(fb), taps.div_ceil(tb));
    let out = SharedOut(dw.as_mut_ptr());
    for_each_index(geo.groups * c_blocks * f_blocks * t_blocks, |task| {
        let g = task / (c_blocks * f_blocks * t_blocks);
        let c_at = task / (f_blocks * t_blocks) % c_blocks * cb;
        let f_at = task / t_blocks % f_blocks * fb;
        let t_at = task % t_blocks * tb;
        let (cs, fs) = (cb.min(cg - c_at), fb.min(fg - f_at));
        let (c_tiles, f_tiles) = (cs.div_ceil(MR), fs.div_ceil(NR));
        // Few filters or few channels: the wider side's values of a voxel go in SIMD lanes
        // (`outer_narrow`, blocks of WIDE_ROWS) against the narrow side's, which become the
        // columns: tensor A is X (channels in lanes), or dY when the channels are the fewer.
        // With whole MR-lane tiles, A and B are then read in place (a run of voxels along
        // axis 0 is a strided matrix of the channels-last tensors), since packing would cost
        // about as much as the few products per voxel. Otherwise MR x NR tiles of (c, f).
        let narrow = cs.min(fs) < NR;
        let swap = narrow && fs > cs;
        let (src_a, src_b, na, nb, st) = if swap {
            (
                dy,
                x,
                fs,
                cs,
                RunSteps {
                    a: steps.b,
                    b: steps.a,
                },
            )
        } else {
            (x, dy, cs, fs, steps)
        };
        // A and B are read in place when that is as good as packed: whole MR-lane blocks
        // (narrow), or whole tiles whose rows already follow each other densely (one group,
        // all channels and filters, stride 1 along axis 0: k3s1), which saves two small
        // memory.copy calls a voxel (k3s1's dW 12% faster). Rows far apart (2 KiB for gan-a's
        // X) were 10-40% slower in place than packed.
        let direct = if narrow {
            na % MR == 0
        } else {
            cs % MR == 0 && fs % NR == 0 && st.a == na && st.b == nb
        };
        // Sums of a group of taps are kept (tap-major, a tile or block of lanes per tap) and
        // written together through register transposes: each (c, f) pair's taps are
        // contiguous in dW, so the group's sums go out as whole runs (a cache line of f32 per
        // pair) rather than one element per line and tap, which took a third of gan-a's dW
        // (few voxels per tap). Workspace: at most DW_STAGE bytes of sums.
        let (tiles, wides) = if narrow {
            (0, na.div_ceil(WIDE_ROWS))
        } else {
            (c_tiles * f_tiles, 0)
        };
        let per_tap = (tiles * MR + wides * WIDE_ROWS) * NR;
        let tg = (DW_STAGE / (per_tap * size).max(1))
            .clamp(1, 64 / size)
            .min(tb);
        let mut accs = vec![[[T::ZERO; NR]; MR]; tg * tiles];
        let mut wide = vec![[[T::ZERO; WIDE_ROWS]; NR]; tg * wides];
        // Voxels go in chunks (packed, with a tile's width of padding so that edge tiles read
        // full width and ignore the extra lanes, unless `direct`) of about 16 KiB, so that they
        // stay in L1 while every tile of the block streams them (64 KiB measured 10-20% slower
        // on gan-b/c, 8 KiB slower on unet-b).
        let chunk = (16 * 1024 / ((cs + fs) * size).max(1)).max(1);
        let (packed_a, packed_b) = if direct {
            (0, 0)
        } else {
            (chunk * na + MR, chunk * nb + NR)
        };
        let mut ap = vec![T::ZERO; packed_a];
        let mut bp = vec![T::ZERO; packed_b];
        let packed_steps = RunSteps { a: na, b: nb };
        let mut runs = Vec::new();
        let t_end = (t_at + tb).min(taps);
        for t0 in (t_at..t_end).step_by(tg) {
            let group = t0..(t0 + tg).min(t_end);
            for (slot, tap) in group.clone().enumerate() {
                let k = [tap % ks[0], tap / ks[0] % ks[1], tap / (ks[0] * ks[1])];
                let i0 = a0.inputs_for_tap(k[0]);
                runs.clear();
                if !i0.is_empty() {
                    let o0 = a0.output_for(i0.start, k[0]).expect("in range");
                    for n in 0..geo.batch {
                        for i2 in a2.inputs_for_tap(k[2]) {
                            let o2 = a2.output_for(i2, k[2]).expect("in range");
                            for i1 in a1.inputs_for_tap(k[1]) {
                                let o1 = a1.output_for(i1, k[1]).expect("in range");
                                let xo = xl.offset(n, [i0.start, i1, i2], g * cg + c_at);
                                let yo = yl.offset(n, [o0, o1, o2], g * fg + f_at);
                                let (a, b) = if swap { (yo, xo) } else { (xo, yo) };
                                runs.push(Run {
                                    a,
                                    b,
                                    len: i0.len(),
                                });
                            }
                        }
                    }
                }
                let accs = &mut accs[slot * tiles..(slot + 1) * tiles];
                let wide = &mut wide[slot * wides..(slot + 1) * wides];
                accs.fill([[T::ZERO; NR]; MR]);
                wide.fill([[T::ZERO; WIDE_ROWS]; NR]);
                // Narrow: sums runs over A at `a`, B at `b` into every block of lanes.
                let mut narrow_sum = |runs: &[Run], steps: RunSteps, a: &[T], b: &[T]| {
                    for (bi, w) in wide.iter_mut().enumerate() {
                        let l0 = bi * WIDE_ROWS;
                        // SAFETY: A rows of `na` values, readable up to a multiple of MR past
                        // l0 (whole tiles in place, or the packing's padding); B rows of `nb`.
                        unsafe {
                            T::outer_narrow(
                                w,
                                WIDE_ROWS.min(na - l0),
                                runs,
                                steps,
                                a.as_ptr().add(l0),
                                b.as_ptr(),
                                nb,
                            )
                        };
                    }
                };
                if direct {
                    let mut first = 0;
                    while first < runs.len() {
                        let (mut last, mut voxels) = (first, 0);
                        while last < runs.len() && voxels < chunk {
                            voxels += runs[last].len;
                            last += 1;
                        }
                        let chunk_runs = &runs[first..last];
                        if narrow {
                            narrow_sum(chunk_runs, st, src_a, src_b);
                        } else {
                            // SAFETY: whole tiles of rows in place (see `direct`).
                            unsafe { sum_tiles(accs, f_tiles, chunk_runs, st, src_a, src_b) };
                        }
                        first = last;
                    }
                } else {
                    let mut flush = |len: usize, ap: &[T], bp: &[T]| {
                        let run = [Run { a: 0, b: 0, len }];
                        if narrow {
                            narrow_sum(&run, packed_steps, ap, bp);
                        }
                        // SAFETY: packed rows, with a tile's width of padding.
                        unsafe { sum_tiles(accs, f_tiles, &run, packed_steps, ap, bp) };
                    };
                    let mut filled = 0;
                    for run in &runs {
                        for kk in 0..run.len {
                            let (ra, rb) = (run.a + kk * st.a, run.b + kk * st.b);
                            ap[filled * na..(filled + 1) * na].copy_from_slice(&src_a[ra..ra + na]);
                            bp[filled * nb..(filled + 1) * nb].copy_from_slice(&src_b[rb..rb + nb]);
                            filled += 1;
                            if filled == chunk {
                                flush(filled, &ap, &bp);
                                filled = 0;
                            }
                        }
                    }
                    if filled > 0 {
                        flush(filled, &ap, &bp);
                    }
                }
            }
            // The group's sums into dW: for each run of pairs that follow each other in dW
            // (a tile row's filters, or a block of lanes of filters), its `group.len()` taps
            // from the slots (`slot_step` apart) into each pair's run of taps.
            let pair = |c: usize, f: usize| (g * cg + c_at + c) * fg + f_at + f;
            let put = |src: *const T, slot_step: usize, first: usize, n: usize| {
                // SAFETY: `src` is read at `s*slot_step + i` for s < group.len(), i < n, as the
                // callers grant; dW is written at pairs first..first+n, taps of the group:
                // inside dW (length checked), and this block's pairs and taps belong to this
                // task only.
                unsafe {
                    T::transpose(
                        src,
                        slot_step,
                        out.at(first * taps + group.start),
                        taps,
                        n,
                        group.len(),
                    )
                }
            };
            let wide_step = wides * NR * WIDE_ROWS;
            for bi in 0..wides {
                let (l0, rows) = (bi * WIDE_ROWS, WIDE_ROWS.min(na - bi * WIDE_ROWS));
                for q in 0..nb {
                    // SAFETY: column q of slot 0's block bi (lanes l0..), inside `wide`.
                    let lanes = unsafe { wide.as_ptr().add(bi).cast::<T>().add(q * WIDE_ROWS) };
                    if swap {
                        // Channel q, filters l0..l0+rows: consecutive pairs.
                        put(lanes, wide_step, pair(q, l0), rows);
                    } else {
                        // Filter q of channels l0..: pairs `fg` apart, one at a time.
                        for r in 0..rows {
                            // SAFETY: lane r < rows of the block.
                            put(unsafe { lanes.add(r) }, wide_step, pair(l0 + r, q), 1);
                        }
                    }
                }
            }
            for ti in 0..tiles {
                let (c0, f0) = (ti / f_tiles * MR, ti % f_tiles * NR);
                for r in 0..MR.min(cs - c0) {
                    // SAFETY: row r of slot 0's tile ti; NR.min(fs - f0) <= NR of its values.
                    let row = unsafe { accs.as_ptr().add(ti).cast::<T>().add(r * NR) };
                    put(row, tiles * MR * NR, pair(c0 + r, f0), NR.min(fs - f0));
                }
            }
        }
    });
}

/// Adds the runs' outer products to every `MR x NR` tile of `accs` (tile `ti` at channel
/// `ti / f_tiles * MR` and filter `ti % f_tiles * NR` of A's and B's rows).
///
/// # Safety
/// Every run step's A row holds MR values from each tile's channel and its B row NR from
/// each tile's filter.
#[inline(always)]
unsafe fn sum_tiles<T: Kernel>(
    accs: &mut [[[T; NR]; MR]],
    f_tiles: usize,
    runs: &[Run],
    steps: RunSteps,
    a: &[T],
    b: &[T],
) {
    for (ti, acc) in accs.iter_mut().enumerate() {
        let (c0, f0) = (ti / f_tiles * MR, ti % f_tiles * NR);
        // SAFETY: as the caller grants.
        unsafe { T::outer(acc, runs, steps, a.as_ptr().add(c0), b.as_ptr().add(f0)) };
    }
}

/// `dB[f]`: the sum of `dY` over batch and positions, accumulated in f64.
pub fn backward_bias<T: Kernel>(
    geo: &Geometry,
    dy: &[T],
    yl: Layout,
    db: &mut [T],
) -> Result<(), GeometryError> {
    check_len("dLdB", db.len(), geo.filters)?;
    let ye = output_extents(geo);
    let f = geo.filters;
    with_channels_last_in("dLdY", dy, yl, ye, |dy| {
        let rows = ye.len() / f;
        // Up to 64 chunks of partial sums, fewer when many filters make them large (16 KiB
        // of them in all): the chunks do not depend on the threads, so the sums are
        // reproducible.
        let chunks = rows.clamp(1, (2048 / f).clamp(8, 64));
        let per = rows.div_ceil(chunks);
        // Rows go `w` at a time into `w` sets of sums, so that few filters (one: a single
        // chain of dependent adds) still keep about 8 independent sums going.
        let w = (8 / f).max(1);
        let partials = map_range(chunks, |ch| {
            let mut acc = vec![0f64; w * f];
            let part = &dy[(ch * per * f).min(ye.len())..((ch + 1) * per * f).min(ye.len())];
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
    })
}
