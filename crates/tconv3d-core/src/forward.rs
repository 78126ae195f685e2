//! The forward pass as `s0*s1*s2` dense sub-convolutions (phase decomposition): within a
//! phase, consecutive outputs along the fastest axis read consecutive inputs for each tap,
//! so every output row is an implicit GEMM over (taps of the phase) x (channels of the
//! group). Every output element is written exactly once, seeded with its bias; no col2im
//! buffer, no zero-insertion.

use crate::geometry::{checked_len, Geometry, GeometryError, Phase, PhaseTap};
use crate::kernels::{
    partial_sums, tiles_per_block, ARow, Kernel, K_BLOCK, LANES_BELOW_FILTERS, LANE_ROWS, MR, NR,
};
use crate::layout::Layout;
use crate::parallel::{for_each_index, task_count, SharedOut};
use crate::reference::{input_extents, output_extents};
use crate::tensor::{check_len, check_output, check_span};

/// Weights packed for the forward pass of one geometry's filter shape: for each group,
/// phase triple and panel of `NR` filters, `NR` bias values then `[tap][channel][NR]`.
pub struct ForwardPlan<T> {
    geo: Geometry,
    phases: [Vec<Phase>; 3],
    packed: Vec<T>,
    /// Start of each block, indexed by `block_index`.
    blocks: Vec<usize>,
    panels: usize,
}

impl<T: Kernel> ForwardPlan<T> {
    /// Packs `w` (`[k0 k1 k2 F/g C/g g]` column-major) and `bias` (`F` values, or none).
    pub fn new(geo: &Geometry, w: &[T], bias: Option<&[T]>) -> Result<Self, GeometryError> {
        check_len("weights", w.len(), geo.weight_len())?;
        if let Some(b) = bias {
            check_len("bias", b.len(), geo.filters)?;
        }
        let phases = geo.axes.map(|a| a.phases());
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        let panels = fg.div_ceil(NR);
        // Every tap lands in exactly one phase triple, so the blocks hold taps*Cg*NR per panel.
        let phase_triples: usize = phases.iter().map(Vec::len).product();
        let len = checked_len(
            "the packed weights",
            &[geo.groups, panels, geo.taps() * cg + phase_triples, NR],
        )?;
        let mut packed = Vec::with_capacity(len);
        let mut blocks = Vec::with_capacity(geo.groups * phase_triples * panels);
        for g in 0..geo.groups {
            for p2 in &phases[2] {
                for p1 in &phases[1] {
                    for p0 in &phases[0] {
                        for fp in 0..panels {
                            blocks.push(packed.len());
                            let f_of = |q: usize| Some(fp * NR + q).filter(|&f| f < fg);
                            packed.extend((0..NR).map(|q| match (f_of(q), bias) {
                                (Some(f), Some(b)) => b[g * fg + f],
                                _ => T::ZERO,
                            }));
                            for t2 in &p2.taps {
                                for t1 in &p1.taps {
                                    for t0 in &p0.taps {
                                        for c in 0..cg {
                                            packed.extend((0..NR).map(|q| {
                                                f_of(q).map_or(T::ZERO, |f| {
                                                    w[geo.weight_index([t0.k, t1.k, t2.k], f, c, g)]
                                                })
                                            }));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        debug_assert_eq!(packed.len(), len);
        Ok(Self {
            geo: *geo,
            phases,
            packed,
            blocks,
            panels,
        })
    }

    fn block_index(&self, g: usize, p: [usize; 3], fp: usize) -> usize {
        let [n0, n1, n2] = [0, 1, 2].map(|a| self.phases[a].len());
        (((g * n2 + p[2]) * n1 + p[1]) * n0 + p[0]) * self.panels + fp
    }

    /// The input layout this plan runs fastest on. Few filters put output rows in SIMD lanes,
    /// which wants each input line's channels as runs along the first spatial axis: column-
    /// major `[S0 C S1 S2 N]` (a line of all channels stays in L1, unlike channels-first
    /// whose channel stride is a whole volume). Otherwise channels-last. Callers that copy
    /// the input anyway (into WASM memory) should copy into this layout.
    pub fn preferred_input_layout(&self) -> Layout {
        let e = input_extents(&self.geo);
        if self.geo.filters_per_group() < LANES_BELOW_FILTERS {
            Layout::column_major(e, [0, 3, 1, 2, 4]).expect("a permutation of five roles")
        } else {
            Layout::channels_last(e)
        }
    }

    /// `Y = X (*)ᵀ W + b`, any layouts; every element of `Y` inside the layout is written.
    pub fn run(&self, x: &[T], xl: Layout, y: &mut [T], yl: Layout) -> Result<(), GeometryError> {
        check_span("X", x.len(), xl, input_extents(&self.geo))?;
        check_output("Y", y.len(), yl, output_extents(&self.geo))?;
        self.run_strided(x, xl, y, yl);
        Ok(())
    }

    fn run_strided(&self, x: &[T], xl: Layout, y: &mut [T], yl: Layout) {
        let geo = &self.geo;
        let ph = &self.phases;
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        // Out-of-range taps read this zero with step 0, so the tile never branches.
        let zero = [T::ZERO];
        // Tasks: (group, phase triple, range of MR-row tiles) over the phase's outputs, which
        // are ordered (n, j2, j1, j0), j0 fastest.
        let mut units = Vec::new();
        for g in 0..geo.groups {
            for (r2, p2) in ph[2].iter().enumerate() {
                for (r1, p1) in ph[1].iter().enumerate() {
                    for (r0, p0) in ph[0].iter().enumerate() {
                        let m = geo.batch * p2.count * p1.count * p0.count;
                        if m > 0 {
                            units.push((g, [r0, r1, r2], m.div_ceil(MR)));
                        }
                    }
                }
            }
        }
        let total: usize = units.iter().map(|u| u.2).sum();
        let per_task = total.div_ceil(task_count(total));
        let tasks: Vec<_> = units
            .iter()
            .flat_map(|&(g, r, tiles)| {
                (0..tiles)
                    .step_by(per_task)
                    .map(move |t0| (g, r, t0..(t0 + per_task).min(tiles)))
            })
            .collect();
        let out = SharedOut(y.as_mut_ptr());
        for_each_index(tasks.len(), |task| {
            let (g, r, ref tiles) = tasks[task];
            let (p0, p1, p2) = (&ph[0][r[0]], &ph[1][r[1]], &ph[2][r[2]]);
            let nt = p0.taps.len() * p1.taps.len() * p2.taps.len();
            let m = geo.batch * p2.count * p1.count * p0.count;
            let zero_row = ARow {
                ptr: zero.as_ptr(),
                step: 0,
            };
            // Tiles go in blocks that share each weight panel while it is in cache.
            let mb = tiles_per_block(nt * cg, core::mem::size_of::<T>());
            let mut a = vec![zero_row; mb * nt * MR];
            let mut y_at = vec![[0usize; MR]; mb];
            let mut mrs = vec![0usize; mb];
            let (mut off2, mut off1) = (Vec::new(), Vec::new());
            // Tiles done by `Kernel::lanes` (rows in SIMD lanes) skip the panel loop.
            let mut in_lanes = vec![false; mb];
            let mut lane_a = vec![zero.as_ptr(); nt];
            for first in tiles.clone().step_by(mb) {
                let block_tiles = first..(first + mb).min(tiles.end);
                for (bi, tile) in block_tiles.clone().enumerate() {
                    let mr = MR.min(m - tile * MR);
                    mrs[bi] = mr;
                    let a = &mut a[bi * nt * MR..(bi + 1) * nt * MR];
                    for (row, y_row) in y_at[bi].iter_mut().enumerate() {
                        // Rows past `mr` repeat the last real row: computed, never stored.
                        let mi = tile * MR + row.min(mr - 1);
                        let j = [
                            mi % p0.count,
                            mi / p0.count % p1.count,
                            mi / (p0.count * p1.count) % p2.count,
                        ];
                        let n = mi / (p0.count * p1.count * p2.count);
                        let o = [0, 1, 2]
                            .map(|ax| [p0, p1, p2][ax].first + j[ax] * geo.axes[ax].stride);
                        *y_row = yl.offset(n, o, g * fg);
                        // Offsets along axes 2 and 1 per tap (None: outside), then axis 0.
                        let along =
                            |taps: &[PhaseTap],
                             j: usize,
                             len: usize,
                             stride: usize,
                             out: &mut Vec<Option<usize>>| {
                                out.clear();
                                out.extend(taps.iter().map(|t| {
                                    let i = t.base + j as i64;
                                    (0..len as i64).contains(&i).then(|| i as usize * stride)
                                }));
                            };
                        along(&p2.taps, j[2], geo.axes[2].input, xl.s[2], &mut off2);
                        along(&p1.taps, j[1], geo.axes[1].input, xl.s[1], &mut off1);
                        let base = n * xl.n + g * cg * xl.c;
                        let mut t = 0;
                        for o2 in &off2 {
                            for o1 in &off1 {
                                for t0 in &p0.taps {
                                    let i0 = t0.base + j[0] as i64;
                                    a[t * MR + row] = match (o2, o1) {
                                        (Some(o2), Some(o1))
                                            if (0..geo.axes[0].input as i64).contains(&i0) =>
                                        {
                                            // SAFETY: (n, i, g*cg) is inside X (span checked),
                                            // and so are the group's `cg` channels `xl.c` apart.
                                            let ptr = unsafe {
                                                x.as_ptr()
                                                    .add(base + o2 + o1 + i0 as usize * xl.s[0])
                                            };
                                            ARow { ptr, step: xl.c }
                                        }
                                        _ => zero_row,
                                    };
                                    t += 1;
                                }
                            }
                        }
                    }
                    // Few filters: when the tile's rows are 4 consecutive elements of every
                    // tap's input line (channels-first, interior), put them in SIMD lanes.
                    in_lanes[bi] = fg < LANES_BELOW_FILTERS
                        && xl.s[0] == 1
                        && mr == MR
                        && (tile * MR) % p0.count + MR <= p0.count
                        && (0..nt).all(|t| a[t * MR].step != 0 && a[t * MR + MR - 1].step != 0);
                }
                // Runs of lane tiles that continue along one input line go together, up to
                // LANE_ROWS rows per call.
                let mut bi = 0;
                while bi < block_tiles.len() {
                    if !in_lanes[bi] {
                        bi += 1;
                        continue;
                    }
                    let line_at = ((block_tiles.start + bi) * MR) % p0.count;
                    let mut run = 1;
                    while run < LANE_ROWS / MR
                        && bi + run < block_tiles.len()
                        && in_lanes[bi + run]
                        && line_at + (run + 1) * MR <= p0.count
                    {
                        run += 1;
                    }
                    for (t, la) in lane_a.iter_mut().enumerate() {
                        *la = a[(bi * nt + t) * MR].ptr;
                    }
                    for fp in 0..self.panels {
                        let block = self.blocks[self.block_index(g, r, fp)];
                        let seed: &[T; NR] =
                            self.packed[block..block + NR].try_into().expect("NR seeds");
                        let mut outs = [core::ptr::null_mut(); LANE_ROWS];
                        for (k, o) in outs.iter_mut().enumerate().take(run * MR) {
                            // SAFETY: outputs as in the panel loop below.
                            *o = unsafe { out.at(y_at[bi + k / MR][k % MR] + fp * NR * yl.c) };
                        }
                        // SAFETY: each tap's row 0 is an X row whose next `run*MR - 1` rows
                        // follow element by element (`xl.s[0] == 1`, the tiles continue one
                        // line and are inside), `cg` channels `xl.c` apart; the block holds
                        // `nt*cg*NR` packed weights after its seeds.
                        unsafe {
                            T::lanes(
                                cg,
                                &lane_a,
                                xl.c,
                                self.packed.as_ptr().add(block + NR),
                                seed,
                                &outs[..run * MR],
                                yl.c,
                                NR.min(fg - fp * NR),
                            )
                        };
                    }
                    bi += run;
                }
                // Long sums go in tap groups of about K_BLOCK steps (see `K_BLOCK`).
                let group = (K_BLOCK / cg).clamp(1, nt.max(1));
                for fp in 0..self.panels {
                    let block = self.blocks[self.block_index(g, r, fp)];
                    let bias: &[T; NR] =
                        self.packed[block..block + NR].try_into().expect("NR seeds");
                    let nr = NR.min(fg - fp * NR);
                    for t0 in (0..nt.max(1)).step_by(group) {
                        let t1 = (t0 + group).min(nt);
                        for bi in (0..block_tiles.len()).filter(|&bi| !in_lanes[bi]) {
                            // SAFETY: these outputs belong to this tile of this phase and this
                            // panel only (phases partition the outputs, the layout is
                            // one-to-one), so no other task touches them; each row has `nr`
                            // filters `yl.c` apart left.
                            let outs = y_at[bi].map(|at| unsafe { out.at(at + fp * NR * yl.c) });
                            let seeds = if t0 == 0 {
                                [*bias; MR]
                            } else {
                                // SAFETY: as above; the previous group stored them.
                                unsafe { partial_sums(&outs, yl.c, nr) }
                            };
                            let rows = &a[(bi * nt + t0) * MR..(bi * nt + t1) * MR];
                            // SAFETY: A rows are X rows of `cg` channels or the zero with step
                            // 0; the block holds `nt*cg*NR` packed weights after its NR seeds,
                            // of which taps t0..t1 are read; outputs as above.
                            let b = unsafe { self.packed.as_ptr().add(block + NR + t0 * cg * NR) };
                            // SAFETY: as above.
                            unsafe {
                                T::igemm(cg, t1 - t0, rows, b, &seeds, &outs, yl.c, mrs[bi], nr)
                            };
                        }
                    }
                }
            }
        });
    }
}
