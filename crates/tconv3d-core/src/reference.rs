//! The obviously-correct loops, straight from the definition in `docs/semantics.md`. Slow; the
//! oracle every fast path is tested against (instantiate with `f64`).
//!
//! Tensors use any [`Layout`]; weights are column-major `[k0 k1 k2 F/g C/g g]`.

use crate::element::Element;
use crate::geometry::Geometry;
use crate::layout::{Extents, Layout};

/// Extents of the input `X` of `geo`.
pub fn input_extents(geo: &Geometry) -> Extents {
    Extents {
        batch: geo.batch,
        spatial: geo.input_size(),
        channels: geo.channels,
    }
}

/// Extents of the output `Y` of `geo`.
pub fn output_extents(geo: &Geometry) -> Extents {
    Extents {
        batch: geo.batch,
        spatial: geo.output_size(),
        channels: geo.filters,
    }
}

/// Visits every (n, g, c, i, f, k, o) contribution `x[n,c,i] * w[k,f,c]` that lands on an
/// output inside the crop.
fn for_each_contribution(
    geo: &Geometry,
    mut f: impl FnMut(usize, usize, [usize; 3], usize, usize, [usize; 3]),
) {
    let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
    let [a0, a1, a2] = geo.axes;
    for n in 0..geo.batch {
        for c in 0..geo.channels {
            let g = c / cg;
            for i2 in 0..a2.input {
                for i1 in 0..a1.input {
                    for i0 in 0..a0.input {
                        for k2 in 0..a2.kernel {
                            let Some(o2) = a2.output_for(i2, k2) else {
                                continue;
                            };
                            for k1 in 0..a1.kernel {
                                let Some(o1) = a1.output_for(i1, k1) else {
                                    continue;
                                };
                                for k0 in 0..a0.kernel {
                                    let Some(o0) = a0.output_for(i0, k0) else {
                                        continue;
                                    };
                                    for fl in 0..fg {
                                        let widx =
                                            geo.weight_index([k0, k1, k2], fl, c - g * cg, g);
                                        f(n, c, [i0, i1, i2], g * fg + fl, widx, [o0, o1, o2]);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `Y = bias + sum of x*w` over every contribution; overwrites all of `y`.
pub fn forward<T: Element>(
    geo: &Geometry,
    x: &[T],
    xl: Layout,
    w: &[T],
    bias: Option<&[T]>,
    y: &mut [T],
    yl: Layout,
) {
    let ye = output_extents(geo);
    for n in 0..ye.batch {
        for o2 in 0..ye.spatial[2] {
            for o1 in 0..ye.spatial[1] {
                for o0 in 0..ye.spatial[0] {
                    for f in 0..ye.channels {
                        y[yl.offset(n, [o0, o1, o2], f)] = bias.map_or(T::ZERO, |b| b[f]);
                    }
                }
            }
        }
    }
    for_each_contribution(geo, |n, c, i, f, widx, o| {
        y[yl.offset(n, o, f)] += x[xl.offset(n, i, c)] * w[widx];
    });
}

/// `dX[n,c,i] = sum over f, k of w[k,f,c] * dY[n,f,o(i,k)]`; overwrites all of `dx`.
pub fn backward_data<T: Element>(
    geo: &Geometry,
    dy: &[T],
    yl: Layout,
    w: &[T],
    dx: &mut [T],
    xl: Layout,
) {
    let xe = input_extents(geo);
    for n in 0..xe.batch {
        for i2 in 0..xe.spatial[2] {
            for i1 in 0..xe.spatial[1] {
                for i0 in 0..xe.spatial[0] {
                    for c in 0..xe.channels {
                        dx[xl.offset(n, [i0, i1, i2], c)] = T::ZERO;
                    }
                }
            }
        }
    }
    for_each_contribution(geo, |n, c, i, f, widx, o| {
        dx[xl.offset(n, i, c)] += w[widx] * dy[yl.offset(n, o, f)];
    });
}

/// `dW[k,f,c] = sum over n, i of x[n,c,i] * dY[n,f,o(i,k)]`; overwrites all of `dw`.
pub fn backward_weights<T: Element>(
    geo: &Geometry,
    x: &[T],
    xl: Layout,
    dy: &[T],
    yl: Layout,
    dw: &mut [T],
) {
    dw.iter_mut().for_each(|v| *v = T::ZERO);
    for_each_contribution(geo, |n, c, i, f, widx, o| {
        dw[widx] += x[xl.offset(n, i, c)] * dy[yl.offset(n, o, f)];
    });
}

/// `dB[f] = sum of dY[n,f,o]` over batch and positions; overwrites all of `db`.
pub fn backward_bias<T: Element>(geo: &Geometry, dy: &[T], yl: Layout, db: &mut [T]) {
    let ye = output_extents(geo);
    for (f, d) in db.iter_mut().enumerate().take(ye.channels) {
        let mut acc = T::ZERO;
        for n in 0..ye.batch {
            for o2 in 0..ye.spatial[2] {
                for o1 in 0..ye.spatial[1] {
                    for o0 in 0..ye.spatial[0] {
                        acc += dy[yl.offset(n, [o0, o1, o2], f)];
                    }
                }
            }
        }
        *d = acc;
    }
}
