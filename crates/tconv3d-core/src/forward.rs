//! The forward pass as `s0*s1*s2` dense sub-convolutions (phase decomposition): within a
//! phase, consecutive outputs along the fastest axis read consecutive inputs for each tap,
//! so every output row is an implicit GEMM over (taps of the phase) x (channels of the
//! group). Every output element is written exactly once, seeded with its bias; no col2im
//! buffer, no zero-insertion.

use crate::element::Element;
use crate::geometry::{checked_len, Geometry, GeometryError, Phase};
use crate::layout::Layout;
use crate::microkernel::NR;
use crate::parallel::for_each_chunk;
use crate::reference::{input_extents, output_extents};
use crate::rows::{run_row, RowSpec, RowTap};
use crate::tensor::{check_len, with_channels_last_in, with_channels_last_out};

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

impl<T: Element> ForwardPlan<T> {
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

    pub fn geometry(&self) -> &Geometry {
        &self.geo
    }

    fn block_index(&self, g: usize, p: [usize; 3], fp: usize) -> usize {
        let [n0, n1, n2] = [0, 1, 2].map(|a| self.phases[a].len());
        (((g * n2 + p[2]) * n1 + p[1]) * n0 + p[0]) * self.panels + fp
    }

    /// `Y = X (*)ᵀ W + b`, any layouts; every element of `Y` inside the layout is written.
    pub fn run(&self, x: &[T], xl: Layout, y: &mut [T], yl: Layout) -> Result<(), GeometryError> {
        let (xe, ye) = (input_extents(&self.geo), output_extents(&self.geo));
        with_channels_last_in("X", x, xl, xe, |x| {
            with_channels_last_out("Y", y, yl, ye, |y| self.run_channels_last(x, y))
        })?
    }

    fn run_channels_last(&self, x: &[T], y: &mut [T]) {
        let geo = &self.geo;
        let [a0, a1, a2] = geo.axes;
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        let xl = Layout::channels_last(input_extents(geo));
        let row_len = a0.output * geo.filters;
        for_each_chunk(y, row_len, |row, out| {
            let (n, o2, o1) = (
                row / (a2.output * a1.output),
                row / a1.output % a2.output,
                row % a1.output,
            );
            let (r2, j2) = a2.phase_of(o2);
            let (r1, j1) = a1.phase_of(o1);
            let (ph2, ph1) = (&self.phases[2][r2], &self.phases[1][r1]);
            // (tap index within the phase, input index) for the taps in range on this row.
            let valid = |ph: &Phase, j: usize, len: usize| -> Vec<(usize, usize)> {
                ph.taps
                    .iter()
                    .enumerate()
                    .filter_map(|(ti, t)| {
                        let i = t.base + j as i64;
                        (0..len as i64).contains(&i).then_some((ti, i as usize))
                    })
                    .collect()
            };
            let (v2, v1) = (valid(ph2, j2, a2.input), valid(ph1, j1, a1.input));
            let mut taps = Vec::new();
            let mut scratch = Vec::new();
            for (r0, ph0) in self.phases[0].iter().enumerate() {
                if ph0.count == 0 {
                    continue;
                }
                let nt0 = ph0.taps.len();
                for g in 0..geo.groups {
                    for fp in 0..self.panels {
                        let block = self.blocks[self.block_index(g, [r0, r1, r2], fp)];
                        taps.clear();
                        for &(t2, i2) in &v2 {
                            for &(t1, i1) in &v1 {
                                for (t0, tap0) in ph0.taps.iter().enumerate() {
                                    let tap = (t2 * ph1.taps.len() + t1) * nt0 + t0;
                                    let at_j0 = xl.offset(n, [0, i1, i2], g * cg) as isize
                                        + tap0.base as isize * xl.s[0] as isize;
                                    let range = tap0.valid_range(ph0.count, a0.input);
                                    taps.push(RowTap {
                                        a: at_j0,
                                        b: block + NR + tap * cg * NR,
                                        lo: range.start,
                                        hi: range.end,
                                    });
                                }
                            }
                        }
                        let spec = RowSpec {
                            count: ph0.count,
                            a: x,
                            a_jstep: xl.s[0],
                            kdim: cg,
                            b: &self.packed,
                            seed: self.packed[block..block + NR].try_into().expect("NR seeds"),
                            nr: NR.min(fg - fp * NR),
                            out_jstep: a0.stride * geo.filters,
                        };
                        run_row(
                            &spec,
                            &taps,
                            &mut scratch,
                            out,
                            ph0.first * geo.filters + g * fg + fp * NR,
                        );
                    }
                }
            }
        });
    }
}
