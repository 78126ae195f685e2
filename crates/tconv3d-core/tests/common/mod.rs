//! Shared test fixtures: random geometries over every remainder path, integer-valued data.

#![allow(dead_code)]

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tconv3d_core::{
    Cropping, Element, Extents, Filter, Geometry, Gradients, Kernel, Layout, Operator, Plan,
};

pub fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

/// Channel counts around the tile sizes (MR = 4, NR = 8).
const CHANNELS: [usize; 10] = [1, 2, 3, 4, 5, 7, 8, 9, 12, 17];

/// A test case's hyperparameters and input size, output padding none.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    pub batch: usize,
    pub channels: usize,
    pub filters: usize,
    pub groups: usize,
    pub input: [usize; 3],
    pub kernel: [usize; 3],
    pub stride: [usize; 3],
    pub dilation: [usize; 3],
    pub cropping: Cropping,
}

impl Case {
    pub fn filter(&self) -> Filter {
        Filter {
            channels: self.channels,
            filters: self.filters,
            groups: self.groups,
            kernel: self.kernel,
            stride: self.stride,
            dilation: self.dilation,
            cropping: self.cropping,
            output_padding: [0; 3],
        }
    }

    pub fn geometry(&self) -> Result<Geometry, tconv3d_core::GeometryError> {
        Geometry::new(&self.filter(), self.batch, self.input)
    }
}

/// The operator of `geo`'s hyperparameters with weights `w` and bias `b`, and its plan for
/// `geo`'s input size.
pub fn planned<T: Kernel>(geo: &Geometry, w: &[f64], b: Option<&[f64]>) -> (Operator<T>, Plan<T>) {
    let b: Option<Vec<T>> = b.map(cast);
    let op = Operator::new(geo.filter(), &cast(w), b.as_deref()).unwrap();
    let plan = op.reshape(geo.batch, geo.input_size()).unwrap();
    (op, plan)
}

/// A random valid geometry: strides 1-3 per axis, kernels 1-5 (and 11), asymmetric manual
/// crops (with negative end crops and output padding), "same", dilation 1-2, groups 1-3,
/// batch 1-2.
pub fn random_geometry(r: &mut SmallRng) -> Geometry {
    loop {
        let groups = r.random_range(1..=3);
        let per_c = CHANNELS[r.random_range(0..CHANNELS.len())];
        let per_f = CHANNELS[r.random_range(0..CHANNELS.len())];
        let big_kernel = r.random_bool(0.1);
        let kernel: [usize; 3] = core::array::from_fn(|_| {
            if big_kernel && r.random_bool(0.5) {
                11
            } else {
                r.random_range(1..=5)
            }
        });
        let stride: [usize; 3] = core::array::from_fn(|_| r.random_range(1..=3));
        let dilation: [usize; 3] = core::array::from_fn(|_| if r.random_bool(0.3) { 2 } else { 1 });
        let input: [usize; 3] =
            core::array::from_fn(|a| r.random_range(1..=if a == 0 { 11 } else { 4 }));
        let same = r.random_bool(0.25);
        let output_padding: [usize; 3] = core::array::from_fn(|a| {
            if same {
                0
            } else {
                r.random_range(0..stride[a].max(dilation[a]))
            }
        });
        let cropping = if same {
            Cropping::Same
        } else {
            let ke: [usize; 3] = core::array::from_fn(|a| dilation[a] * (kernel[a] - 1) + 1);
            Cropping::Manual {
                begin: core::array::from_fn(|a| r.random_range(0..ke[a]) as i64),
                end: core::array::from_fn(|a| {
                    r.random_range(-(stride[a] as i64 - 1)..ke[a] as i64)
                }),
            }
        };
        let f = Filter {
            channels: per_c * groups,
            filters: per_f * groups,
            groups,
            kernel,
            stride,
            dilation,
            cropping,
            output_padding,
        };
        if let Ok(g) = Geometry::new(&f, r.random_range(1..=2), input) {
            if g.output_len() < 60_000 {
                return g;
            }
        }
    }
}

pub fn input_extents(g: &Geometry) -> Extents {
    Extents {
        batch: g.batch,
        spatial: g.input_size(),
        channels: g.channels,
    }
}

pub fn output_extents(g: &Geometry) -> Extents {
    Extents {
        batch: g.batch,
        spatial: g.output_size(),
        channels: g.filters,
    }
}

/// Small integers, so f32 and f64 sums are exact and results compare with `==`.
pub fn ints(r: &mut SmallRng, n: usize) -> Vec<f64> {
    (0..n).map(|_| r.random_range(-3i32..=3) as f64).collect()
}

/// The geometry of `p`, and integer X, weights and bias for it drawn from `r` in that order.
pub fn int_case(p: &Case, r: &mut SmallRng) -> (Geometry, Vec<f64>, Vec<f64>, Vec<f64>) {
    let geo = p.geometry().unwrap();
    let x = ints(r, geo.input_len());
    let w = ints(r, geo.weight_len());
    let b = ints(r, geo.filters);
    (geo, x, w, b)
}

pub fn floats(r: &mut SmallRng, n: usize) -> Vec<f64> {
    (0..n).map(|_| r.random_range(-1.0..1.0)).collect()
}

pub fn cast<T: Element>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

/// One of the layouts callers hand in: channels-last, channels-first or a random order.
pub fn random_layout(r: &mut SmallRng, e: Extents) -> Layout {
    match r.random_range(0..3) {
        0 => Layout::channels_last(e),
        1 => Layout::channels_first(e),
        _ => {
            let mut order = [0u8, 1, 2, 3, 4];
            for i in (1..5).rev() {
                order.swap(i, r.random_range(0..=i));
            }
            Layout::column_major(e, order).expect("permutation")
        }
    }
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `Y` through a fresh operator and plan.
pub fn run_forward<T: Kernel>(
    geo: &Geometry,
    w: &[f64],
    b: Option<&[f64]>,
    x: &[T],
    xl: Layout,
    y: &mut [T],
    yl: Layout,
) {
    let (op, plan) = planned::<T>(geo, w, b);
    op.forward(&plan, x, xl, y, yl).unwrap();
}

/// `dX` alone through a fresh operator and plan.
pub fn run_dx<T: Kernel>(
    geo: &Geometry,
    w: &[f64],
    dy: &[T],
    yl: Layout,
    dx: &mut [T],
    xl: Layout,
) {
    let (op, plan) = planned::<T>(geo, w, None);
    let grads = Gradients {
        dx: Some((dx, xl)),
        dw: None,
        db: None,
    };
    op.backward(&plan, &[], xl, dy, yl, grads).unwrap();
}

/// `dW` alone through an operator of zero weights (`dW` does not read them).
pub fn run_dw<T: Kernel>(geo: &Geometry, x: &[T], xl: Layout, dy: &[T], yl: Layout, dw: &mut [T]) {
    let (op, plan) = planned::<T>(geo, &vec![0.0; geo.weight_len()], None);
    let grads = Gradients {
        dx: None,
        dw: Some(dw),
        db: None,
    };
    op.backward(&plan, x, xl, dy, yl, grads).unwrap();
}

/// `dB` alone through an operator of zero weights.
pub fn run_db<T: Kernel>(geo: &Geometry, dy: &[T], yl: Layout, db: &mut [T]) {
    let (op, plan) = planned::<T>(geo, &vec![0.0; geo.weight_len()], None);
    let grads = Gradients {
        dx: None,
        dw: None,
        db: Some(db),
    };
    op.backward(&plan, &[], yl, dy, yl, grads).unwrap();
}
