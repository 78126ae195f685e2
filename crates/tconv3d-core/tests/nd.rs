//! The ndarray API against loops written straight from PyTorch's definition of
//! `ConvTranspose3d` over `[N, C, D, H, W]` indices (independent of the core's layouts and
//! reference), in every memory order a caller may hold: integer-valued data (exact
//! comparison) and NaN-poisoned outputs (every element written).

mod common;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use common::rng;
use ndarray::{
    s, Array1, Array5, ArrayBase, ArrayView5, ArrayViewMut5, Axis, Ix5, RawData, ShapeBuilder,
};
use rand::rngs::SmallRng;
use rand::Rng;
use tconv3d_core::nd::{Cropping, Error, Options, Shape, TransposedConv3d};
use tconv3d_core::{Element, Kernel};

/// One case: `[N, Cin, D, H, W]` input, `Cout`, kernel, options (manual crops, `[D, H, W]`).
struct Case {
    input: Shape,
    filters: usize,
    kernel: [usize; 3],
    options: Options,
}

fn random_case(r: &mut SmallRng) -> Case {
    let groups = r.random_range(1..=2);
    let kernel: [usize; 3] = core::array::from_fn(|_| r.random_range(1..=4));
    let stride: [usize; 3] = core::array::from_fn(|_| r.random_range(1..=3));
    let dilation: [usize; 3] = core::array::from_fn(|_| r.random_range(1..=2));
    let reach: [i64; 3] = core::array::from_fn(|a| (dilation[a] * (kernel[a] - 1)) as i64);
    Case {
        input: [
            r.random_range(1..=2),
            groups * r.random_range(1..=9),
            r.random_range(1..=4),
            r.random_range(1..=4),
            r.random_range(1..=7),
        ],
        filters: groups * r.random_range(1..=9),
        kernel,
        options: Options {
            stride,
            dilation,
            cropping: Cropping::Manual {
                begin: core::array::from_fn(|a| r.random_range(0..=reach[a] / 2)),
                end: core::array::from_fn(|a| r.random_range(0..=reach[a] / 2)),
            },
            // Less than the stride or the dilation.
            output_padding: core::array::from_fn(|a| r.random_range(0..stride[a].max(dilation[a]))),
            groups,
        },
    }
}

fn ints<T: Element>(r: &mut SmallRng, shape: &[usize]) -> Array5<T> {
    let shape: Shape = shape.try_into().unwrap();
    Array5::from_shape_simple_fn(shape, || T::from_f64(r.random_range(-3..=3) as f64))
}

/// The output length along one axis and the begin crop.
fn axis(case: &Case, a: usize) -> (usize, i64) {
    let Cropping::Manual { begin, end } = case.options.cropping else {
        unreachable!("the cases crop manually")
    };
    let full = (case.input[2 + a] - 1) * case.options.stride[a]
        + case.options.dilation[a] * (case.kernel[a] - 1)
        + 1
        + case.options.output_padding[a];
    ((full as i64 - begin[a] - end[a]) as usize, begin[a])
}

/// Calls `f(n, c, i, f, k, o)` for every product `x[n,c,i] * w[c,f%Fg,k]` that lands on an
/// output `o = i*s + k*d - crop` inside it.
fn contributions(
    case: &Case,
    mut f: impl FnMut(usize, usize, [usize; 3], usize, [usize; 3], [usize; 3]),
) {
    let [batch, cin, ..] = case.input;
    let fg = case.filters / case.options.groups;
    let axes = [0, 1, 2].map(|a| axis(case, a));
    for n in 0..batch {
        for c in 0..cin {
            for fl in 0..fg {
                for i in ndarray::indices((case.input[2], case.input[3], case.input[4])) {
                    for k in ndarray::indices(case.kernel) {
                        let i = [i.0, i.1, i.2];
                        let k = [k.0, k.1, k.2];
                        let o: [i64; 3] = core::array::from_fn(|a| {
                            (i[a] * case.options.stride[a] + k[a] * case.options.dilation[a]) as i64
                                - axes[a].1
                        });
                        if (0..3).all(|a| (0..axes[a].0 as i64).contains(&o[a])) {
                            f(n, c, i, fl, k, o.map(|v| v as usize));
                        }
                    }
                }
            }
        }
    }
}

fn out_shape(case: &Case) -> Shape {
    let [n, ..] = case.input;
    [
        n,
        case.filters,
        axis(case, 0).0,
        axis(case, 1).0,
        axis(case, 2).0,
    ]
}

/// PyTorch's four results for the case, in f64.
struct Expected {
    y: Array5<f64>,
    dx: Array5<f64>,
    dw: Array5<f64>,
    db: Array1<f64>,
}

fn expected(
    case: &Case,
    x: &Array5<f64>,
    w: &Array5<f64>,
    b: &Array1<f64>,
    dy: &Array5<f64>,
) -> Expected {
    let fg = case.filters / case.options.groups;
    let cg = case.input[1] / case.options.groups;
    let mut y = Array5::from_shape_fn(out_shape(case), |(_, f, ..)| b[f]);
    let mut dx = Array5::zeros(x.raw_dim());
    let mut dw = Array5::zeros(w.raw_dim());
    contributions(
        case,
        |n, c, [i0, i1, i2], fl, [k0, k1, k2], [o0, o1, o2]| {
            let f = c / cg * fg + fl;
            y[[n, f, o0, o1, o2]] += x[[n, c, i0, i1, i2]] * w[[c, fl, k0, k1, k2]];
            dx[[n, c, i0, i1, i2]] += w[[c, fl, k0, k1, k2]] * dy[[n, f, o0, o1, o2]];
            dw[[c, fl, k0, k1, k2]] += x[[n, c, i0, i1, i2]] * dy[[n, f, o0, o1, o2]];
        },
    );
    let db = dy
        .sum_axis(Axis(4))
        .sum_axis(Axis(3))
        .sum_axis(Axis(2))
        .sum_axis(Axis(0));
    Expected { y, dx, dw, db }
}

/// The memory orders a caller may hold an `[N, C, D, H, W]` array in.
#[derive(Clone, Copy, Debug)]
enum Order {
    /// Row-major NCDHW (PyTorch).
    Ncdhw,
    /// Row-major NDHWC.
    Ndhwc,
    /// MATLAB's column-major `H×W×D×C×N`.
    Matlab,
    /// Every other element of a larger array along W (not contiguous: copied).
    Gapped,
    /// Row-major NCDHW with D reversed (a negative stride: copied).
    Reversed,
}

const ORDERS: [Order; 5] = [
    Order::Ncdhw,
    Order::Ndhwc,
    Order::Matlab,
    Order::Gapped,
    Order::Reversed,
];

/// Storage for an array in an order, and views of it as `[N, C, D, H, W]`.
struct Held<T> {
    data: Array5<T>,
    order: Order,
}

impl<T: Element> Held<T> {
    fn new(order: Order, shape: Shape, fill: T) -> Self {
        let [n, c, d, h, w] = shape;
        let data = match order {
            Order::Ncdhw | Order::Reversed => Array5::from_elem(shape, fill),
            Order::Ndhwc => Array5::from_elem([n, d, h, w, c], fill),
            Order::Matlab => Array5::from_elem((h, w, d, c, n).f(), fill),
            Order::Gapped => Array5::from_elem([n, c, d, h, 2 * w], fill),
        };
        Self { data, order }
    }

    fn holding(order: Order, a: &Array5<T>) -> Self {
        let mut h = Self::new(order, a.shape().try_into().unwrap(), T::ZERO);
        h.view_mut().assign(a);
        h
    }

    fn view(&self) -> ArrayView5<'_, T> {
        arranged(self.data.view(), self.order)
    }

    fn view_mut(&mut self) -> ArrayViewMut5<'_, T> {
        arranged(self.data.view_mut(), self.order)
    }
}

/// The `[N, C, D, H, W]` view of storage held in `order`.
fn arranged<S: RawData>(v: ArrayBase<S, Ix5>, order: Order) -> ArrayBase<S, Ix5> {
    match order {
        Order::Ncdhw => v,
        Order::Ndhwc => v.permuted_axes([0, 4, 1, 2, 3]),
        Order::Matlab => v.permuted_axes([4, 3, 2, 0, 1]),
        Order::Gapped => v.slice_move(s![.., .., .., .., ..;2]),
        Order::Reversed => v.slice_move(s![.., .., ..;-1, .., ..]),
    }
}

fn assert_exact<T: Element>(got: ArrayView5<T>, want: &Array5<f64>, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (idx, (g, w)) in got
        .indexed_iter()
        .zip(want.iter())
        .map(|((i, g), w)| (i, (g, w)))
    {
        assert_eq!(g.to_f64(), *w, "{what} at {idx:?}");
    }
}

fn check<T: Kernel>(case: &Case, r: &mut SmallRng, ctx: &str) {
    let f64s = |a: &Array5<T>| a.mapv(|v| v.to_f64());
    let x: Array5<T> = ints(r, &case.input);
    let (cin, fg) = (case.input[1], case.filters / case.options.groups);
    let w: Array5<T> = ints(
        r,
        &[cin, fg, case.kernel[0], case.kernel[1], case.kernel[2]],
    );
    let b = Array1::from_shape_fn(case.filters, |_| T::from_f64(r.random_range(-3..=3) as f64));
    let dy: Array5<T> = ints(r, &out_shape(case));
    let want = expected(
        case,
        &f64s(&x),
        &f64s(&w),
        &b.mapv(|v| v.to_f64()),
        &f64s(&dy),
    );

    let order_w = ORDERS[r.random_range(0..ORDERS.len())];
    let conv = TransposedConv3d::new(
        case.options,
        Held::holding(order_w, &w).view(),
        Some(b.view()),
    )
    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let plan = conv.plan(case.input).unwrap();
    assert_eq!(plan.output_shape(), out_shape(case), "{ctx}");
    assert_eq!(
        conv.output_shape(case.input).unwrap(),
        out_shape(case),
        "{ctx}"
    );
    let nan = T::from_f64(f64::NAN);
    for order in ORDERS {
        let ctx = format!("{ctx}, {order:?}");
        let (xh, dyh) = (Held::holding(order, &x), Held::holding(order, &dy));
        let mut y = Held::new(order, out_shape(case), nan);
        plan.forward_into(xh.view(), y.view_mut()).unwrap();
        assert_exact(y.view(), &want.y, &format!("{ctx}: Y"));
        let shape_w: Shape = w.shape().try_into().unwrap();
        let (mut dx, mut dw) = (
            Held::new(order, case.input, nan),
            Held::new(order, shape_w, nan),
        );
        let mut db = Array1::from_elem(case.filters, nan);
        // Each gradient alone, then all three in one call.
        plan.backward_into(xh.view(), dyh.view(), Some(dx.view_mut()), None, None)
            .unwrap();
        assert_exact(dx.view(), &want.dx, &format!("{ctx}: dX"));
        plan.backward_into(xh.view(), dyh.view(), None, Some(dw.view_mut()), None)
            .unwrap();
        assert_exact(dw.view(), &want.dw, &format!("{ctx}: dW"));
        plan.backward_into(xh.view(), dyh.view(), None, None, Some(db.view_mut()))
            .unwrap();
        assert_eq!(db.mapv(|v| v.to_f64()), want.db, "{ctx}: dB");
        let (mut dx, mut dw) = (
            Held::new(order, case.input, nan),
            Held::new(order, shape_w, nan),
        );
        let mut db = Array1::from_elem(case.filters, nan);
        let (x, dy) = (xh.view(), dyh.view());
        plan.backward_into(
            x,
            dy,
            Some(dx.view_mut()),
            Some(dw.view_mut()),
            Some(db.view_mut()),
        )
        .unwrap();
        assert_exact(dx.view(), &want.dx, &format!("{ctx}: dX with dW, dB"));
        assert_exact(dw.view(), &want.dw, &format!("{ctx}: dW with dX, dB"));
        assert_eq!(db.mapv(|v| v.to_f64()), want.db, "{ctx}: dB with dX, dW");
    }
    let g = plan.backward(x.view(), dy.view()).unwrap();
    assert_exact(g.input.view(), &want.dx, &format!("{ctx}: backward dX"));
    assert_exact(g.weights.view(), &want.dw, &format!("{ctx}: backward dW"));
    assert_eq!(g.bias.mapv(|v| v.to_f64()), want.db, "{ctx}: backward dB");
    assert_exact(
        conv.forward(x.view()).unwrap().view(),
        &want.y,
        &format!("{ctx}: forward"),
    );
}

#[test]
fn every_memory_order_matches_pytorchs_definition() {
    let mut r = rng(16);
    for i in 0..60 {
        let case = random_case(&mut r);
        check::<f32>(&case, &mut r, &format!("f32 case {i}"));
        check::<f64>(&case, &mut r, &format!("f64 case {i}"));
    }
}

#[test]
fn same_cropping_gives_input_times_stride() {
    let options = Options {
        stride: [2, 3, 1],
        cropping: Cropping::Same,
        ..Options::default()
    };
    let w = Array5::<f32>::zeros([2, 3, 4, 2, 3]);
    let conv = TransposedConv3d::new(options, w.view(), None).unwrap();
    assert_eq!(
        conv.output_shape([1, 2, 5, 4, 3]).unwrap(),
        [1, 3, 10, 12, 3]
    );
}

/// Bad input: an error naming the argument, the value and the expectation.
#[test]
fn errors_name_the_argument() {
    let w = Array5::<f64>::zeros([4, 2, 3, 3, 3]);
    let conv = TransposedConv3d::new(Options::default(), w.view(), None).unwrap();
    let table: [(Result<(), Error>, &str); 6] = [
        (
            conv.plan([1, 3, 4, 4, 4]).map(|_| ()),
            "the input has shape [1, 3, 4, 4, 4]; expected [1, 4, 4, 4, 4]",
        ),
        (
            TransposedConv3d::new(Options::default(), w.view(), Some(Array1::zeros(3).view()))
                .map(|_| ()),
            "bias has shape [3]; expected [2]",
        ),
        (
            TransposedConv3d::new(
                Options {
                    groups: 3,
                    ..Options::default()
                },
                w.view(),
                None,
            )
            .map(|_| ()),
            "NumChannels is 4; expected a multiple of NumGroups (3)",
        ),
        (
            conv.plan([1, 4, 2, 2, 2]).and_then(|p| {
                p.forward_into(
                    Array5::zeros([1, 4, 2, 2, 2]).view(),
                    Array5::zeros([1, 2, 4, 4, 5]).view_mut(),
                )
            }),
            "Y has shape [1, 2, 4, 4, 5]; expected [1, 2, 4, 4, 4]",
        ),
        (
            TransposedConv3d::new(
                Options {
                    output_padding: [0, 0, 2],
                    ..Options::default()
                },
                w.view(),
                None,
            )
            .map(|_| ()),
            "OutputPadding along spatial dimension 3 is 2; expected less than its Stride (1) or its DilationFactor (1)",
        ),
        (
            conv.plan([1, 4, 0, 2, 2]).map(|_| ()),
            "input size along spatial dimension 1 is 0; expected a positive integer",
        ),
    ];
    for (got, message) in table {
        let e = got.expect_err(message);
        assert_eq!(e.to_string(), message);
        let _: &dyn std::error::Error = &e;
    }
}
