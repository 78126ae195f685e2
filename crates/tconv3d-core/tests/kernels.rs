//! Every fast path against the reference loops on random geometries, with integer-valued
//! data (exact comparison) and NaN-poisoned outputs (every element written once).

mod common;

// On wasm32 (scripts/test-wasm-kernels.sh) the tests are wasm-bindgen-test's, run in Node.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use common::*;
use tconv3d_core::{reference, reorder, Element, Geometry, Gradients, Kernel, Layout};

const CASES: u64 = 300;

/// The tiles under test are the ones this target ships: SIMD128 on wasm32 (relaxed SIMD when
/// the build enables it), the portable ones elsewhere. scripts/test-wasm-kernels.sh names the
/// tiles it builds in `TCONV3D_EXPECT_KERNELS`, so that a run whose target features went
/// missing fails here rather than testing the portable tiles again.
#[test]
fn compiled_tiles_are_this_targets() {
    let simd = cfg!(all(target_arch = "wasm32", target_feature = "simd128"));
    let relaxed = simd && cfg!(target_feature = "relaxed-simd");
    let this_target = match (simd, relaxed) {
        (true, true) => "simd128+relaxed-simd",
        (true, false) => "simd128",
        _ => "portable",
    };
    assert_eq!(tconv3d_core::kernels::IMPLEMENTATION, this_target);
    if let Some(expected) = option_env!("TCONV3D_EXPECT_KERNELS") {
        assert_eq!(
            tconv3d_core::kernels::IMPLEMENTATION,
            expected,
            "TCONV3D_EXPECT_KERNELS names other tiles than this build compiled"
        );
    }
}

fn to_f64<T: Element>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| x.to_f64()).collect()
}

/// The fast forward pass equals the reference exactly (integer data), every output written.
#[allow(clippy::too_many_arguments)]
fn assert_forward<T: Kernel>(
    geo: &Geometry,
    x: &[f64],
    xl: Layout,
    w: &[f64],
    b: &[f64],
    yl: Layout,
    ctx: &str,
) {
    let mut want = vec![0f64; geo.output_len()];
    reference::forward(geo, x, xl, w, Some(b), &mut want, yl);
    let (op, plan) = planned::<T>(geo, w, Some(b));
    // Also in the plan's own input layout (lines when rows go in lanes), filled by `reorder`
    // as the WASM boundary does, between NaN guards that would poison any read outside the
    // buffer; the slack past the last line is NaN too, since lanes that read it are dropped.
    let own = plan.input_layout();
    const GUARD: usize = 64;
    let mut guarded = vec![T::from_f64(f64::NAN); plan.input_len() + 2 * GUARD];
    let planned = &mut guarded[GUARD..GUARD + plan.input_len()];
    reorder(&cast(x), xl, planned, own, input_extents(geo)).unwrap();
    let cases: [(&[T], _, _); 2] = [(&cast(x), xl, "caller's"), (planned, own, "plan's")];
    for (xs, l, how) in cases {
        let mut y = vec![T::from_f64(f64::NAN); geo.output_len()];
        op.forward(&plan, xs, l, &mut y, yl).unwrap();
        assert_eq!(
            to_f64(&y),
            want,
            "forward, X in the {how} layout {l:?}, {ctx}"
        );
    }
}

/// The fast dX equals the reference exactly (integer data), every element written.
fn assert_backward_data<T: Kernel>(
    geo: &Geometry,
    dy: &[f64],
    yl: Layout,
    w: &[f64],
    xl: Layout,
    ctx: &str,
) {
    let mut want = vec![0f64; geo.input_len()];
    reference::backward_data(geo, dy, yl, w, &mut want, xl);
    let mut dx = vec![T::from_f64(f64::NAN); geo.input_len()];
    run_dx::<T>(geo, w, &cast(dy), yl, &mut dx, xl);
    assert_eq!(to_f64(&dx), want, "dX, {ctx}");
}

/// The fast dW equals the reference exactly (integer data), every element written.
fn assert_backward_weights<T: Kernel>(
    geo: &Geometry,
    x: &[f64],
    xl: Layout,
    dy: &[f64],
    yl: Layout,
    ctx: &str,
) {
    let mut want = vec![0f64; geo.weight_len()];
    reference::backward_weights(geo, x, xl, dy, yl, &mut want);
    let mut dw = vec![T::from_f64(f64::NAN); geo.weight_len()];
    run_dw::<T>(geo, &cast(x), xl, &cast(dy), yl, &mut dw);
    assert_eq!(to_f64(&dw), want, "dW, {ctx}");
}

/// `X` staged in the output's buffer (in the caller's layout, the rest of the buffer NaN)
/// gives the same `Y` as the forward from its own buffer.
#[allow(clippy::too_many_arguments)]
fn assert_forward_in_place<T: Kernel>(
    geo: &Geometry,
    x: &[f64],
    xl: Layout,
    w: &[f64],
    b: &[f64],
    yl: Layout,
    ctx: &str,
) {
    let mut want = vec![0f64; geo.output_len()];
    reference::forward(geo, x, xl, w, Some(b), &mut want, yl);
    let (op, plan) = planned::<T>(geo, w, Some(b));
    let len = geo.output_len().max(geo.input_len());
    let mut io = vec![T::from_f64(f64::NAN); len];
    io[..x.len()].copy_from_slice(&cast::<T>(x));
    op.forward_in_place(&plan, &mut io, xl, yl).unwrap();
    assert_eq!(
        to_f64(&io[..geo.output_len()]),
        want,
        "forward in place, {ctx}"
    );
}

/// dX, dW and dB of one call equal the reference's, every element written.
fn assert_one_call_backward<T: Kernel>(
    geo: &Geometry,
    x: &[f64],
    xl: Layout,
    dy: &[f64],
    yl: Layout,
    w: &[f64],
    ctx: &str,
) {
    let (mut want_dx, mut want_dw, mut want_db) = (
        vec![0f64; geo.input_len()],
        vec![0f64; geo.weight_len()],
        vec![0f64; geo.filters],
    );
    reference::backward_data(geo, dy, yl, w, &mut want_dx, xl);
    reference::backward_weights(geo, x, xl, dy, yl, &mut want_dw);
    reference::backward_bias(geo, dy, yl, &mut want_db);
    let nan = |n: usize| vec![T::from_f64(f64::NAN); n];
    let (mut dx, mut dw, mut db) = (
        nan(geo.input_len()),
        nan(geo.weight_len()),
        nan(geo.filters),
    );
    let (op, plan) = planned::<T>(geo, w, None);
    let grads = Gradients {
        dx: Some((&mut dx, xl)),
        dw: Some(&mut dw),
        db: Some(&mut db),
    };
    op.backward(&plan, &cast(x), xl, &cast(dy), yl, grads)
        .unwrap();
    assert_eq!(to_f64(&dx), want_dx, "one-call dX, {ctx}");
    assert_eq!(to_f64(&dw), want_dw, "one-call dW, {ctx}");
    assert_eq!(to_f64(&db), want_db, "one-call dB, {ctx}");
}

fn check_case<T: Kernel>(seed: u64) {
    let mut r = rng(seed);
    let geo = random_geometry(&mut r);
    let (xe, ye) = (input_extents(&geo), output_extents(&geo));
    let (xl, yl) = (random_layout(&mut r, xe), random_layout(&mut r, ye));
    let x = ints(&mut r, geo.input_len());
    let w = ints(&mut r, geo.weight_len());
    let b = ints(&mut r, geo.filters);
    let dy = ints(&mut r, geo.output_len());
    let ctx = format!("seed {seed}: {geo:?} x {xl:?} y {yl:?}");

    assert_forward::<T>(&geo, &x, xl, &w, &b, yl, &ctx);
    assert_backward_data::<T>(&geo, &dy, yl, &w, xl, &ctx);

    assert_backward_weights::<T>(&geo, &x, xl, &dy, yl, &ctx);

    let mut want_db = vec![0f64; geo.filters];
    reference::backward_bias(&geo, &dy, yl, &mut want_db);
    let mut db = vec![T::from_f64(f64::NAN); geo.filters];
    run_db::<T>(&geo, &cast(&dy), yl, &mut db);
    assert_eq!(to_f64(&db), want_db, "dB, {ctx}");
    assert_forward_in_place::<T>(&geo, &x, xl, &w, &b, yl, &ctx);
    assert_one_call_backward::<T>(&geo, &x, xl, &dy, yl, &w, &ctx);
}

#[test]
fn fast_paths_match_reference_f64() {
    (0..CASES).for_each(check_case::<f64>);
}

#[test]
fn fast_paths_match_reference_f32() {
    (1000..1000 + CASES).for_each(check_case::<f32>);
}

/// Row lengths and channel counts straddling the tile sizes, one axis at a time.
#[test]
fn tile_remainders() {
    use tconv3d_core::Cropping;
    for n0 in [1, 3, 4, 5, 8, 9, 13] {
        for (c, f) in [(1, 1), (3, 7), (4, 8), (5, 9), (8, 16), (9, 17), (16, 1)] {
            for s in [1, 2, 3] {
                let p = Case {
                    batch: 1,
                    channels: c,
                    filters: f,
                    groups: 1,
                    input: [n0, 2, 1],
                    kernel: [3, 2, 1],
                    stride: [s, 1, 1],
                    dilation: [1, 1, 1],
                    cropping: Cropping::Manual {
                        begin: [1, 0, 0],
                        end: [0, 1, 0],
                    },
                };
                let mut r = rng((n0 * 1000 + c * 100 + f * 10 + s) as u64);
                let (geo, x, w, b) = int_case(&p, &mut r);
                let (xe, ye) = (input_extents(&geo), output_extents(&geo));
                let (xl, yl) = (Layout::channels_last(xe), Layout::channels_last(ye));
                assert_forward::<f32>(&geo, &x, xl, &w, &b, yl, &format!("{p:?}"));
            }
        }
    }
}

/// Outputs large enough that each phase is cut into several task ranges, phases of unequal
/// sizes (strides that do not divide the output), through the tile path and the few-filter
/// lane path: every output still written once, exactly.
#[test]
fn many_task_ranges_per_phase() {
    use tconv3d_core::Cropping;
    for f in [9, 2] {
        let p = Case {
            batch: 2,
            channels: 6,
            filters: f,
            groups: 1,
            input: [21, 11, 9],
            kernel: [3, 4, 2],
            stride: [2, 3, 2],
            dilation: [1, 1, 1],
            cropping: Cropping::Manual {
                begin: [1, 2, 0],
                end: [0, 1, 1],
            },
        };
        let (geo, x, w, b) = int_case(&p, &mut rng(f as u64));
        let (xe, ye) = (input_extents(&geo), output_extents(&geo));
        let (xl, yl) = (Layout::channels_last(xe), Layout::channels_first(ye));
        assert_forward::<f32>(&geo, &x, xl, &w, &b, yl, &format!("{p:?}"));
    }
}

/// Few outputs and many filters (a small latent volume into a wide layer): the tasks are cut
/// across the filter panels, the last panel partial, with and without groups: exact in f32 and
/// f64, every output written once.
#[test]
fn few_outputs_many_filter_panels() {
    use tconv3d_core::Cropping;
    for (f, groups) in [(203, 1), (2 * 83, 2)] {
        let p = Case {
            batch: 1,
            channels: 4 * groups,
            filters: f,
            groups,
            input: [2, 2, 1],
            kernel: [2, 2, 2],
            stride: [2, 2, 2],
            dilation: [1, 1, 1],
            cropping: Cropping::Manual {
                begin: [0, 0, 0],
                end: [0, 1, 0],
            },
        };
        let (geo, x, w, b) = int_case(&p, &mut rng(f as u64));
        let (xe, ye) = (input_extents(&geo), output_extents(&geo));
        let (xl, yl) = (Layout::channels_last(xe), Layout::channels_first(ye));
        let ctx = format!("{p:?}");
        assert_forward::<f32>(&geo, &x, xl, &w, &b, yl, &ctx);
        assert_forward::<f64>(&geo, &x, xl, &w, &b, yl, &ctx);
    }
}

/// Sums longer than one tile call (taps x channels past `K_BLOCK`) are split into tap groups
/// seeded with the partial outputs: forward and dX still match exactly.
#[test]
fn long_sums_split_into_tap_groups() {
    use tconv3d_core::Cropping;
    for (c, f, s) in [(300, 9, 1), (130, 17, 2), (257, 3, 1)] {
        let p = Case {
            batch: 1,
            channels: c,
            filters: f,
            groups: 1,
            input: [6, 3, 2],
            kernel: [3, 3, 2],
            stride: [s, s, 1],
            dilation: [1, 1, 1],
            cropping: Cropping::Manual {
                begin: [1, 1, 0],
                end: [1, 0, 1],
            },
        };
        let mut r = rng(c as u64);
        let (geo, x, w, b) = int_case(&p, &mut r);
        let dy = ints(&mut r, geo.output_len());
        let (xe, ye) = (input_extents(&geo), output_extents(&geo));
        let (xl, yl) = (Layout::channels_last(xe), Layout::channels_first(ye));
        let ctx = format!("{p:?}");
        assert_forward::<f32>(&geo, &x, xl, &w, &b, yl, &ctx);
        assert_backward_data::<f64>(&geo, &dy, yl, &w, xl, &ctx);
    }
}

/// Inputs of a few voxels (a 1x1x1 latent code) leave most taps of a tile outside the input for
/// every row: the tiles skip those, in runs between live ones, within and across tap groups
/// (up to 3 taps per group with 300 channels), and a tile with nothing live in its first group
/// still gets its bias; dX through the same tiles. Exact against the reference.
#[test]
fn taps_outside_every_row_are_skipped() {
    use tconv3d_core::Cropping;
    for (c, f, input, k, s, crop) in [
        (128, 9, [1, 1, 1], [4, 4, 4], 1, 0),
        (300, 8, [1, 1, 1], [4, 3, 4], 1, 0),
        (130, 12, [2, 1, 3], [4, 4, 2], 2, 1),
        (5, 16, [1, 2, 1], [5, 3, 4], 3, 0),
        (300, 9, [3, 1, 1], [4, 4, 3], 1, 2),
    ] {
        let p = Case {
            batch: 2,
            channels: c,
            filters: f,
            groups: 1,
            input,
            kernel: k,
            stride: [s, s, 1],
            dilation: [1, 1, 1],
            cropping: Cropping::Manual {
                begin: [crop, 0, 0],
                end: [0, crop.min(1), 0],
            },
        };
        let mut r = rng(c as u64 + f as u64);
        let (geo, x, w, b) = int_case(&p, &mut r);
        let dy = ints(&mut r, geo.output_len());
        let (xe, ye) = (input_extents(&geo), output_extents(&geo));
        let ctx = format!("{p:?}");
        for (xl, yl) in [
            (Layout::channels_last(xe), Layout::channels_first(ye)),
            (Layout::channels_first(xe), Layout::channels_last(ye)),
        ] {
            assert_forward::<f32>(&geo, &x, xl, &w, &b, yl, &ctx);
            assert_forward::<f64>(&geo, &x, xl, &w, &b, yl, &ctx);
            assert_backward_data::<f32>(&geo, &dy, yl, &w, xl, &ctx);
        }
    }
}

/// dW over many channel-filter pairs and taps is cut into blocks of channels x filters (the
/// last ones partial) and ranges of taps, whose sums go out in groups of taps (27 taps: 16 and
/// 11 in f32, 8, 8, 8 and 3 in f64): still exact.
#[test]
fn weight_gradient_blocks() {
    use tconv3d_core::Cropping;
    for (c, f, g, k) in [
        (100, 40, 1, [4, 4, 3]),
        (64, 300, 1, [3, 3, 3]),
        (100, 80, 2, [3, 2, 4]),
    ] {
        let p = Case {
            batch: 2,
            channels: c,
            filters: f,
            groups: g,
            input: [3, 2, 2],
            kernel: k,
            stride: [2, 1, 2],
            dilation: [1, 1, 1],
            cropping: Cropping::Manual {
                begin: [1, 0, 1],
                end: [0, 1, 1],
            },
        };
        let geo = p.geometry().unwrap();
        let mut r = rng((c * f) as u64);
        let (xe, ye) = (input_extents(&geo), output_extents(&geo));
        let (xl, yl) = (Layout::channels_first(xe), Layout::channels_last(ye));
        let (x, dy) = (
            ints(&mut r, geo.input_len()),
            ints(&mut r, geo.output_len()),
        );
        let ctx = format!("{p:?}");
        assert_backward_weights::<f32>(&geo, &x, xl, &dy, yl, &ctx);
        assert_backward_weights::<f64>(&geo, &x, xl, &dy, yl, &ctx);
    }
}

/// Strides far larger than the filter: most outputs are their bias alone, and the plan holds
/// only the phases that taps reach (at most the filter's taps), so its size and time follow the
/// filter and the output, not the stride (a plan per residue of a stride of 2^28 would not fit
/// in memory). Still exact, every output written, both layouts, few and many filters.
#[test]
fn strides_far_larger_than_the_filter() {
    use tconv3d_core::Cropping;
    for (c, f, input, k, stride) in [
        (3, 2, [1, 1, 1], [2, 1, 3], [65_536, 7, 300]),
        (5, 9, [2, 2, 1], [3, 2, 1], [257, 100, 2]),
        (4, 1, [3, 1, 2], [1, 2, 2], [1_000, 3, 19]),
        (2, 3, [1, 1, 1], [1, 1, 1], [1 << 20, 1 << 4, 1]),
    ] {
        let p = Case {
            batch: 2,
            channels: c,
            filters: f,
            groups: 1,
            input,
            kernel: k,
            stride,
            dilation: [1, 1, 1],
            cropping: Cropping::Manual {
                begin: [1.min(k[0] as i64 - 1), 0, 0],
                end: [0, 0, 0],
            },
        };
        let mut r = rng(f as u64 + stride[0] as u64);
        let (geo, x, w, b) = int_case(&p, &mut r);
        let dy = ints(&mut r, geo.output_len());
        let (xe, ye) = (input_extents(&geo), output_extents(&geo));
        let ctx = format!("{p:?}");
        for a in geo.axes {
            assert!(a.phases().len() <= a.kernel, "{ctx}");
        }
        for (xl, yl) in [
            (Layout::channels_last(xe), Layout::channels_first(ye)),
            (Layout::channels_first(xe), Layout::channels_last(ye)),
        ] {
            assert_forward::<f32>(&geo, &x, xl, &w, &b, yl, &ctx);
            assert_forward::<f64>(&geo, &x, xl, &w, &b, yl, &ctx);
            assert_backward_data::<f32>(&geo, &dy, yl, &w, xl, &ctx);
            assert_backward_weights::<f64>(&geo, &x, xl, &dy, yl, &ctx);
        }
    }
}

/// `a` and `b` agree element by element, NaN with NaN (IEEE NaN is unequal to itself).
fn assert_same(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            x == y || (x.is_nan() && y.is_nan()),
            "{what}: element {i}: {x} vs {y}"
        );
    }
}

/// A NaN or infinite weight reaches exactly the outputs its tap touches, in Y and in dX, as the
/// reference (which visits only the pairs a tap joins) has it: the tiles' zero rows must not
/// turn 0 × NaN into a NaN elsewhere. Borders (crops, strides, dilation), groups, few and many
/// filters (lanes and tiles), both layouts; unwritten outputs would keep a sentinel.
#[test]
fn nonfinite_weights_reach_only_their_taps_outputs() {
    use tconv3d_core::Cropping;
    const SENTINEL: f64 = 12_345.5;
    for (c, f, g, k, s, d) in [
        (2, 1, 1, [3, 1, 1], [1, 1, 1], [1, 1, 1]),
        (3, 2, 1, [3, 2, 2], [2, 1, 2], [1, 1, 1]),
        (4, 9, 1, [2, 3, 3], [1, 2, 1], [2, 1, 1]),
        (6, 12, 3, [3, 3, 2], [2, 2, 1], [1, 1, 2]),
    ] {
        let p = Case {
            batch: 2,
            channels: c,
            filters: f,
            groups: g,
            input: [5, 3, 4],
            kernel: k,
            stride: s,
            dilation: d,
            cropping: Cropping::Manual {
                begin: [1, 0, 1],
                end: [0, 1, 0],
            },
        };
        let mut r = rng(17 + c as u64 * 31 + f as u64);
        let (geo, x, mut w, b) = int_case(&p, &mut r);
        // One NaN; infinities too where there are weights enough to leave finite outputs.
        w[1] = f64::NAN;
        if w.len() > 12 {
            let n = w.len();
            w[n / 2] = f64::INFINITY;
            w[n - 2] = f64::NEG_INFINITY;
        }
        let dy = ints(&mut r, geo.output_len());
        let (xe, ye) = (input_extents(&geo), output_extents(&geo));
        let ctx = format!("{p:?}");
        for (xl, yl) in [
            (Layout::channels_last(xe), Layout::channels_first(ye)),
            (Layout::channels_first(xe), Layout::channels_last(ye)),
        ] {
            let mut want = vec![0f64; geo.output_len()];
            reference::forward(&geo, &x, xl, &w, Some(&b), &mut want, yl);
            let (nans, finite) = (
                want.iter().filter(|v| v.is_nan()).count(),
                want.iter().filter(|v| v.is_finite()).count(),
            );
            assert!(
                nans > 0 && finite > 0,
                "{nans} NaN, {finite} finite of {}: {ctx}",
                want.len()
            );
            let mut y32 = vec![SENTINEL as f32; geo.output_len()];
            run_forward::<f32>(&geo, &w, Some(&b), &cast(&x), xl, &mut y32, yl);
            assert_same(&to_f64(&y32), &want, &format!("Y f32, {ctx}"));
            let mut y64 = vec![SENTINEL; geo.output_len()];
            run_forward::<f64>(&geo, &w, Some(&b), &x, xl, &mut y64, yl);
            assert_same(&y64, &want, &format!("Y f64, {ctx}"));

            let mut want_dx = vec![0f64; geo.input_len()];
            reference::backward_data(&geo, &dy, yl, &w, &mut want_dx, xl);
            let mut dx = vec![SENTINEL as f32; geo.input_len()];
            run_dx::<f32>(&geo, &w, &cast(&dy), yl, &mut dx, xl);
            assert_same(&to_f64(&dx), &want_dx, &format!("dX f32, {ctx}"));
        }
    }
}

/// A NaN in X or dY reaches only the weight gradients of the pairs it is in, and dB only its
/// own filter's (the reference visits only the pairs a tap joins).
#[test]
fn nonfinite_data_reach_only_their_gradients() {
    use tconv3d_core::Cropping;
    for (c, f, k, s) in [(2, 3, [3, 2, 1], [1, 1, 1]), (9, 4, [2, 3, 2], [2, 1, 2])] {
        let p = Case {
            batch: 1,
            channels: c,
            filters: f,
            groups: 1,
            input: [4, 3, 2],
            kernel: k,
            stride: s,
            dilation: [1, 1, 1],
            cropping: Cropping::Manual {
                begin: [1, 1, 0],
                end: [1, 0, 0],
            },
        };
        let mut r = rng(23 + c as u64);
        let (geo, mut x, _, _) = int_case(&p, &mut r);
        let mut dy = ints(&mut r, geo.output_len());
        x[0] = f64::NAN; // a corner voxel: many taps miss it
        dy[geo.output_len() - 1] = f64::NAN;
        let (xe, ye) = (input_extents(&geo), output_extents(&geo));
        let (xl, yl) = (Layout::channels_first(xe), Layout::channels_last(ye));
        let mut want = vec![0f64; geo.weight_len()];
        reference::backward_weights(&geo, &x, xl, &dy, yl, &mut want);
        assert!(want.iter().any(|v| v.is_finite()), "{p:?}");
        let mut dw = vec![0f32; geo.weight_len()];
        run_dw::<f32>(&geo, &cast(&x), xl, &cast(&dy), yl, &mut dw);
        assert_same(&to_f64(&dw), &want, &format!("dW, {p:?}"));
        let mut want_db = vec![0f64; geo.filters];
        reference::backward_bias(&geo, &dy, yl, &mut want_db);
        let mut db = vec![0f32; geo.filters];
        run_db::<f32>(&geo, &cast(&dy), yl, &mut db);
        assert_same(&to_f64(&db), &want_db, &format!("dB, {p:?}"));
    }
}
