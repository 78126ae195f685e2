//! The gradients are the true derivatives: the adjoint identity for dX and finite
//! differences for dW and dB, on real-valued data in f64.

mod common;

// On wasm32 (scripts/test-wasm-kernels.sh) the tests are wasm-bindgen-test's, run in Node.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use common::*;
use tconv3d_core::{reference, Layout};

/// <T(x), y> == <x, Tᵀ(y)> for the fast forward (no bias) and the fast dX.
#[test]
fn adjoint_identity() {
    for seed in 0..100 {
        let mut r = rng(seed);
        let geo = random_geometry(&mut r);
        let (xl, yl) = (
            Layout::channels_last(input_extents(&geo)),
            Layout::channels_last(output_extents(&geo)),
        );
        let (x, w, y) = (
            floats(&mut r, geo.input_len()),
            floats(&mut r, geo.weight_len()),
            floats(&mut r, geo.output_len()),
        );
        let mut tx = vec![0.0; geo.output_len()];
        run_forward::<f64>(&geo, &w, None, &x, xl, &mut tx, yl);
        let mut ty = vec![0.0; geo.input_len()];
        run_dx::<f64>(&geo, &w, &y, yl, &mut ty, xl);
        let (lhs, rhs) = (dot(&tx, &y), dot(&x, &ty));
        let scale = tx.iter().chain(&ty).map(|v| v.abs()).sum::<f64>().max(1.0);
        assert!(
            (lhs - rhs).abs() <= 1e-12 * scale,
            "seed {seed}: {lhs} vs {rhs}, {geo:?}"
        );
    }
}

/// L(W, b) = <Y(W, b), R>; central differences of L match dW and dB.
#[test]
fn finite_differences() {
    for seed in 0..40 {
        let mut r = rng(seed + 500);
        let geo = random_geometry(&mut r);
        let (xl, yl) = (
            Layout::channels_last(input_extents(&geo)),
            Layout::channels_last(output_extents(&geo)),
        );
        let (x, w, b, rr) = (
            floats(&mut r, geo.input_len()),
            floats(&mut r, geo.weight_len()),
            floats(&mut r, geo.filters),
            floats(&mut r, geo.output_len()),
        );
        let loss = |w: &[f64], b: &[f64]| {
            let mut y = vec![0.0; geo.output_len()];
            reference::forward(&geo, &x, xl, w, Some(b), &mut y, yl);
            dot(&y, &rr)
        };
        let mut dw = vec![0.0; geo.weight_len()];
        run_dw::<f64>(&geo, &x, xl, &rr, yl, &mut dw);
        let mut db = vec![0.0; geo.filters];
        run_db::<f64>(&geo, &rr, yl, &mut db);
        let h = 1e-3;
        for _ in 0..5 {
            let i = rand::Rng::random_range(&mut r, 0..w.len());
            let (mut wp, mut wm) = (w.clone(), w.clone());
            wp[i] += h;
            wm[i] -= h;
            let fd = (loss(&wp, &b) - loss(&wm, &b)) / (2.0 * h);
            assert!(
                (fd - dw[i]).abs() <= 1e-8 * (1.0 + dw[i].abs()),
                "seed {seed} dW[{i}]: fd {fd} vs {}",
                dw[i]
            );
            let j = rand::Rng::random_range(&mut r, 0..b.len());
            let (mut bp, mut bm) = (b.clone(), b.clone());
            bp[j] += h;
            bm[j] -= h;
            let fd = (loss(&w, &bp) - loss(&w, &bm)) / (2.0 * h);
            assert!(
                (fd - db[j]).abs() <= 1e-8 * (1.0 + db[j].abs()),
                "seed {seed} dB[{j}]: fd {fd} vs {}",
                db[j]
            );
        }
    }
}
