//! Weights that are NaN or infinite. The tiles multiply every tap of a row and read a zero
//! where the tap falls outside the input, so such a weight would reach outputs its tap never
//! touches (0 × NaN = NaN). Plans pack these weights as zeros and add their products
//! afterwards over exactly the input-output pairs their tap joins, as the definition (and
//! `reference`) has it. Weights like these are rare, so this path is plain loops.

use std::borrow::Cow;

use crate::element::Element;
use crate::geometry::{Filter, Geometry};
use crate::layout::Layout;

/// One non-finite weight: its tap, its filter and channel (whole-layer indices), its value.
#[derive(Clone, Copy, Debug)]
struct Tap<T> {
    k: [usize; 3],
    filter: usize,
    channel: usize,
    w: T,
}

/// The non-finite weights of a layer (often none).
#[derive(Clone, Debug, Default)]
pub(crate) struct NonFinite<T> {
    taps: Vec<Tap<T>>,
}

impl<T: Element> NonFinite<T> {
    /// `w` with its non-finite weights as zeros (borrowed when all are finite), and those
    /// weights.
    pub(crate) fn split<'a>(geo: &Filter, w: &'a [T]) -> (Cow<'a, [T]>, Self) {
        if w.iter().all(|v| v.to_f64().is_finite()) {
            return (Cow::Borrowed(w), Self { taps: Vec::new() });
        }
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        let [k0n, k1n, k2n] = geo.kernel;
        let mut finite = w.to_vec();
        let mut taps = Vec::new();
        for g in 0..geo.groups {
            for c in 0..cg {
                for f in 0..fg {
                    for k2 in 0..k2n {
                        for k1 in 0..k1n {
                            for k0 in 0..k0n {
                                let k = [k0, k1, k2];
                                let at = geo.weight_index(k, f, c, g);
                                let v = w[at];
                                if !v.to_f64().is_finite() {
                                    finite[at] = T::ZERO;
                                    taps.push(Tap {
                                        k,
                                        filter: g * fg + f,
                                        channel: g * cg + c,
                                        w: v,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        (Cow::Owned(finite), Self { taps })
    }

    /// Calls `f(n, input voxel, output voxel, tap)` for every pair a non-finite weight joins.
    fn for_each_pair(
        &self,
        geo: &Geometry,
        mut f: impl FnMut(usize, [usize; 3], [usize; 3], &Tap<T>),
    ) {
        let [a0, a1, a2] = geo.axes;
        for t in &self.taps {
            let [k0, k1, k2] = t.k;
            for n in 0..geo.batch {
                for i2 in a2.inputs_for_tap(k2) {
                    for i1 in a1.inputs_for_tap(k1) {
                        for i0 in a0.inputs_for_tap(k0) {
                            // inputs_for_tap yields exactly the inputs whose output survives.
                            let o = [
                                a0.output_for(i0, k0).unwrap_or_default(),
                                a1.output_for(i1, k1).unwrap_or_default(),
                                a2.output_for(i2, k2).unwrap_or_default(),
                            ];
                            f(n, [i0, i1, i2], o, t);
                        }
                    }
                }
            }
        }
    }

    /// Forward: `y += w·x` for every pair of every non-finite weight.
    pub(crate) fn forward(&self, geo: &Geometry, x: &[T], xl: Layout, y: &mut [T], yl: Layout) {
        self.for_each_pair(geo, |n, i, o, t| {
            let xv = x[xl.offset(n, i, t.channel)];
            let at = yl.offset(n, o, t.filter);
            y[at] = T::from_f64(y[at].to_f64() + t.w.to_f64() * xv.to_f64());
        });
    }

    /// dX: `dx += w·dy` for every pair of every non-finite weight.
    pub(crate) fn backward_data(
        &self,
        geo: &Geometry,
        dy: &[T],
        yl: Layout,
        dx: &mut [T],
        xl: Layout,
    ) {
        self.for_each_pair(geo, |n, i, o, t| {
            let dyv = dy[yl.offset(n, o, t.filter)];
            let at = xl.offset(n, i, t.channel);
            dx[at] = T::from_f64(dx[at].to_f64() + t.w.to_f64() * dyv.to_f64());
        });
    }
}
