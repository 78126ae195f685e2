//! The obviously-correct loops, straight from the definition in `docs/semantics.md`. Slow; the
//! oracle every fast path is tested against (instantiate with `f64`).
//!
//! Tensors use any [`Layout`], read as ndarray views indexed `[n, i0, i1, i2, c]`; weights are
//! column-major `[k0 k1 k2 F/g C/g g]`, indexed `[k0, k1, k2, f, c, g]`.

use ndarray::{indices, ArrayView5, ArrayView6, ArrayViewMut5, ArrayViewMut6, Axis, ShapeBuilder};

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

/// `buf` in layout `l` as an array indexed `[n, i0, i1, i2, c]`.
fn view<T>(buf: &[T], l: Layout, e: Extents) -> ArrayView5<'_, T> {
    let [s0, s1, s2] = e.spatial;
    let strides = (l.n, l.s[0], l.s[1], l.s[2], l.c);
    ArrayView5::from_shape(
        (e.batch, s0, s1, s2, e.channels).strides(strides),
        &buf[l.origin..],
    )
    .expect("a layout inside its buffer")
}

/// [`view`] of an output, which must be one-to-one.
fn view_mut<T>(buf: &mut [T], l: Layout, e: Extents) -> ArrayViewMut5<'_, T> {
    let [s0, s1, s2] = e.spatial;
    let strides = (l.n, l.s[0], l.s[1], l.s[2], l.c);
    ArrayViewMut5::from_shape(
        (e.batch, s0, s1, s2, e.channels).strides(strides),
        &mut buf[l.origin..],
    )
    .expect("a one-to-one layout inside its buffer")
}

/// Weights (column-major `[k0 k1 k2 F/g C/g g]`) indexed `[k0, k1, k2, f, c, g]`, `f` and
/// `c` within the group.
fn weights<'a, T>(geo: &Geometry, w: &'a [T]) -> ArrayView6<'a, T> {
    ArrayView6::from_shape(geo.filter().weight_shape().f(), w)
        .expect("weights of the geometry's length")
}

/// One product `x[n, i, c] * w[k, f, c]` that lands on output `o` of filter `f` (over all
/// groups; `w` holds its indices into [`weights`]).
struct Contribution {
    n: usize,
    c: usize,
    i: [usize; 3],
    f: usize,
    w: [usize; 6],
    o: [usize; 3],
}

/// Visits every contribution that lands on an output inside the crop.
fn for_each_contribution(geo: &Geometry, mut visit: impl FnMut(Contribution)) {
    let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
    let [a0, a1, a2] = geo.axes;
    for n in 0..geo.batch {
        for c in 0..geo.channels {
            let g = c / cg;
            for (i0, i1, i2) in indices((a0.input, a1.input, a2.input)) {
                for (k0, k1, k2) in indices(geo.kernel_size()) {
                    let o = [
                        a0.output_for(i0, k0),
                        a1.output_for(i1, k1),
                        a2.output_for(i2, k2),
                    ];
                    let [Some(o0), Some(o1), Some(o2)] = o else {
                        continue;
                    };
                    for fl in 0..fg {
                        visit(Contribution {
                            n,
                            c,
                            i: [i0, i1, i2],
                            f: g * fg + fl,
                            w: [k0, k1, k2, fl, c - g * cg, g],
                            o: [o0, o1, o2],
                        });
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
    let (x, w) = (view(x, xl, input_extents(geo)), weights(geo, w));
    let mut y = view_mut(y, yl, output_extents(geo));
    for ((.., f), v) in y.indexed_iter_mut() {
        *v = bias.map_or(T::ZERO, |b| b[f]);
    }
    for_each_contribution(
        geo,
        |Contribution {
             n,
             c,
             i,
             f,
             w: k,
             o,
         }| {
            y[[n, o[0], o[1], o[2], f]] += x[[n, i[0], i[1], i[2], c]] * w[k];
        },
    );
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
    let (dy, w) = (view(dy, yl, output_extents(geo)), weights(geo, w));
    let mut dx = view_mut(dx, xl, input_extents(geo));
    dx.fill(T::ZERO);
    for_each_contribution(
        geo,
        |Contribution {
             n,
             c,
             i,
             f,
             w: k,
             o,
         }| {
            dx[[n, i[0], i[1], i[2], c]] += w[k] * dy[[n, o[0], o[1], o[2], f]];
        },
    );
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
    let (x, dy) = (
        view(x, xl, input_extents(geo)),
        view(dy, yl, output_extents(geo)),
    );
    let mut dw = ArrayViewMut6::from_shape(geo.filter().weight_shape().f(), dw)
        .expect("dW of the geometry's length");
    dw.fill(T::ZERO);
    for_each_contribution(
        geo,
        |Contribution {
             n,
             c,
             i,
             f,
             w: k,
             o,
         }| {
            dw[k] += x[[n, i[0], i[1], i[2], c]] * dy[[n, o[0], o[1], o[2], f]];
        },
    );
}

/// `dB[f] = sum of dY[n,f,o]` over batch and positions; overwrites all of `db`.
pub fn backward_bias<T: Element>(geo: &Geometry, dy: &[T], yl: Layout, db: &mut [T]) {
    let dy = view(dy, yl, output_extents(geo));
    for (f, d) in db.iter_mut().enumerate().take(geo.filters) {
        *d = dy
            .index_axis(Axis(4), f)
            .iter()
            .fold(T::ZERO, |acc, &v| acc + v);
    }
}
