//! Shared test fixtures: random geometries over every remainder path, integer-valued data.

#![allow(dead_code)]

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tconv3d_core::{ConvParams, Cropping, Element, Extents, Geometry, Layout};

pub fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

/// Channel counts around the tile sizes (MR = 4, NR = 8).
const CHANNELS: [usize; 10] = [1, 2, 3, 4, 5, 7, 8, 9, 12, 17];

/// A random valid geometry: strides 1-3 per axis, kernels 1-5 (and 11), asymmetric manual
/// crops (with end padding), "same", dilation 1-2, groups 1-3, batch 1-2.
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
        let cropping = if r.random_bool(0.25) {
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
        let p = ConvParams {
            batch: r.random_range(1..=2),
            channels: per_c * groups,
            filters: per_f * groups,
            groups,
            input,
            kernel,
            stride,
            dilation,
            cropping,
        };
        if let Ok(g) = Geometry::new(&p) {
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
pub fn int_case(p: &ConvParams, r: &mut SmallRng) -> (Geometry, Vec<f64>, Vec<f64>, Vec<f64>) {
    let geo = Geometry::new(p).unwrap();
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
