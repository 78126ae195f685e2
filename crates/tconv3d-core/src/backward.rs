//! Gradients. `dX` is an ordinary strided, dilated correlation of `dY` with `W` (no flip),
//! run as an implicit GEMM over output rows of `dX` like the forward pass; `dW` is, per
//! tap, a `C/g x F/g` GEMM whose inner dimension runs over every input voxel; `dB` sums
//! `dY` over batch and positions.

use crate::element::Element;
use crate::geometry::{checked_len, Geometry, GeometryError};
use crate::layout::Layout;
use crate::microkernel::{accumulate, AView, TapBase, MR, NR};
use crate::parallel::{for_each_chunk, map_range};
use crate::reference::{input_extents, output_extents};
use crate::rows::{run_row, RowSpec, RowTap};
use crate::tensor::{check_len, with_channels_last_in, with_channels_last_out};

/// Weights packed for `dX`: for each group and panel of `NR` channels, `[tap][filter][NR]`.
pub struct BackwardDataPlan<T> {
    geo: Geometry,
    packed: Vec<T>,
    panels: usize,
}

impl<T: Element> BackwardDataPlan<T> {
    /// Packs `w` (`[k0 k1 k2 F/g C/g g]` column-major).
    pub fn new(geo: &Geometry, w: &[T]) -> Result<Self, GeometryError> {
        check_len("weights", w.len(), geo.weight_len())?;
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
        })
    }

    pub fn geometry(&self) -> &Geometry {
        &self.geo
    }

    /// `dX` from `dY`, any layouts; every element of `dX` inside the layout is written.
    pub fn run(&self, dy: &[T], yl: Layout, dx: &mut [T], xl: Layout) -> Result<(), GeometryError> {
        let (xe, ye) = (input_extents(&self.geo), output_extents(&self.geo));
        with_channels_last_in("dLdY", dy, yl, ye, |dy| {
            with_channels_last_out("dLdX", dx, xl, xe, |dx| self.run_channels_last(dy, dx))
        })?
    }

    fn run_channels_last(&self, dy: &[T], dx: &mut [T]) {
        let geo = &self.geo;
        let [a0, a1, a2] = geo.axes;
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        let yl = Layout::channels_last(output_extents(geo));
        let taps_per_panel = geo.taps() * fg * NR;
        for_each_chunk(dx, a0.input * geo.channels, |row, out| {
            let (n, i2, i1) = (
                row / (a2.input * a1.input),
                row / a1.input % a2.input,
                row % a1.input,
            );
            let mut taps = Vec::new();
            let mut scratch = Vec::new();
            for g in 0..geo.groups {
                for cp in 0..self.panels {
                    taps.clear();
                    for k2 in 0..a2.kernel {
                        let Some(o2) = a2.output_for(i2, k2) else {
                            continue;
                        };
                        for k1 in 0..a1.kernel {
                            let Some(o1) = a1.output_for(i1, k1) else {
                                continue;
                            };
                            for k0 in 0..a0.kernel {
                                let o0_at_j0 = (k0 * a0.dilation) as isize - a0.crop_begin as isize;
                                let at_j0 = yl.offset(n, [0, o1, o2], g * fg) as isize
                                    + o0_at_j0 * yl.s[0] as isize;
                                let tap = (k2 * a1.kernel + k1) * a0.kernel + k0;
                                let range = a0.inputs_for_tap(k0);
                                let b = (g * self.panels + cp) * taps_per_panel + tap * fg * NR;
                                taps.push(RowTap {
                                    a: at_j0,
                                    b,
                                    lo: range.start,
                                    hi: range.end,
                                });
                            }
                        }
                    }
                    let spec = RowSpec {
                        count: a0.input,
                        a: dy,
                        a_jstep: a0.stride * yl.s[0],
                        kdim: fg,
                        b: &self.packed,
                        seed: [T::ZERO; NR],
                        nr: NR.min(cg - cp * NR),
                        out_jstep: geo.channels,
                    };
                    run_row(&spec, &taps, &mut scratch, out, g * cg + cp * NR);
                }
            }
        });
    }
}

/// `dW` (`[k0 k1 k2 F/g C/g g]` column-major) from `X` and `dY`, any layouts.
pub fn backward_weights<T: Element>(
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

fn weights_channels_last<T: Element>(geo: &Geometry, x: &[T], dy: &[T], dw: &mut [T]) {
    let [a0, a1, a2] = geo.axes;
    let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
    let (xl, yl) = (
        Layout::channels_last(input_extents(geo)),
        Layout::channels_last(output_extents(geo)),
    );
    let ks = geo.kernel_size();
    // One task per (group, tap): a `cg x fg` block of dW, row-major in (c, f).
    let blocks = map_range(geo.groups * geo.taps(), |task| {
        let (g, tap) = (task / geo.taps(), task % geo.taps());
        let k = [tap % ks[0], tap / ks[0] % ks[1], tap / (ks[0] * ks[1])];
        let i0 = a0.inputs_for_tap(k[0]);
        let mut rows = Vec::new();
        for n in 0..geo.batch {
            for i2 in a2.inputs_for_tap(k[2]) {
                let o2 = a2.output_for(i2, k[2]).expect("in range");
                for i1 in a1.inputs_for_tap(k[1]) {
                    let o1 = a1.output_for(i1, k[1]).expect("in range");
                    if i0.is_empty() {
                        continue;
                    }
                    let o0 = a0.output_for(i0.start, k[0]).expect("in range");
                    rows.push(TapBase {
                        a: xl.offset(n, [i0.start, i1, i2], g * cg),
                        b: yl.offset(n, [o0, o1, o2], g * fg),
                    });
                }
            }
        }
        let mut block = vec![T::ZERO; cg * fg];
        let (kdim, b_step) = (i0.len(), a0.stride * yl.s[0]);
        for c0 in (0..cg).step_by(MR) {
            let mr = MR.min(cg - c0);
            for f0 in (0..fg).step_by(NR) {
                let nr = NR.min(fg - f0);
                let mut acc = [[T::ZERO; NR]; MR];
                if nr == NR {
                    let shifted: Vec<TapBase> = rows
                        .iter()
                        .map(|t| TapBase {
                            a: t.a,
                            b: t.b + f0,
                        })
                        .collect();
                    accumulate(
                        &mut acc,
                        &shifted,
                        kdim,
                        x,
                        AView::rows(mr, c0, 1, xl.s[0]),
                        dy,
                        b_step,
                    );
                } else {
                    // The last panel is narrower than NR: reading NR columns could run off dY.
                    for t in &rows {
                        for kk in 0..kdim {
                            for (r, acc_r) in acc.iter_mut().enumerate().take(mr) {
                                let xv = x[t.a + kk * xl.s[0] + c0 + r];
                                for (q, a) in acc_r.iter_mut().enumerate().take(nr) {
                                    *a += xv * dy[t.b + kk * b_step + f0 + q];
                                }
                            }
                        }
                    }
                }
                for (r, acc_r) in acc.iter().enumerate().take(mr) {
                    block[(c0 + r) * fg + f0..][..nr].copy_from_slice(&acc_r[..nr]);
                }
            }
        }
        block
    });
    for (task, block) in blocks.iter().enumerate() {
        let (g, tap) = (task / geo.taps(), task % geo.taps());
        let k = [tap % ks[0], tap / ks[0] % ks[1], tap / (ks[0] * ks[1])];
        for c in 0..cg {
            for f in 0..fg {
                dw[geo.weight_index(k, f, c, g)] = block[c * fg + f];
            }
        }
    }
}

/// `dB[f]`: the sum of `dY` over batch and positions, accumulated in f64.
pub fn backward_bias<T: Element>(
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
        let chunks = rows.clamp(1, 64);
        let per = rows.div_ceil(chunks);
        let partials = map_range(chunks, |ch| {
            let mut acc = vec![0f64; f];
            for row in
                dy[(ch * per * f).min(ye.len())..((ch + 1) * per * f).min(ye.len())].chunks_exact(f)
            {
                acc.iter_mut().zip(row).for_each(|(a, &v)| *a += v.to_f64());
            }
            acc
        });
        for (fi, d) in db.iter_mut().enumerate() {
            *d = T::from_f64(partials.iter().map(|p| p[fi]).sum());
        }
    })
}
