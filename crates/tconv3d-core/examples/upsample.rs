//! Upsamples a volume natively: a sphere on an 8³ grid through a stride-2 transposed
//! convolution whose filter spreads each voxel over its 4³ neighbourhood (trilinear
//! interpolation's weights), on rayon's pool with the `parallel` feature.
//!
//! `cargo run --release --example upsample --features parallel`

use ndarray::{Array1, Array5};
use tconv3d_core::nd::{Cropping, Options, TransposedConv3d};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = 8;
    let centre = (n as f32 - 1.0) / 2.0;
    // One volume, one channel: 1 inside the sphere, 0 outside.
    let x = Array5::from_shape_fn((1, 1, n, n, n), |(_, _, d, h, w)| {
        let r2 = [d, h, w]
            .map(|v| (v as f32 - centre).powi(2))
            .iter()
            .sum::<f32>();
        f32::from(r2 <= (n as f32 / 3.0).powi(2))
    });
    // Linear interpolation by 2 along one axis is the taps [1/4, 3/4, 3/4, 1/4] cropped by 1
    // at each end; the 3-D filter is their outer product.
    let taps = Array1::from(vec![0.25f32, 0.75, 0.75, 0.25]);
    let w = Array5::from_shape_fn((1, 1, 4, 4, 4), |(_, _, a, b, c)| {
        taps[a] * taps[b] * taps[c]
    });
    let options = Options {
        stride: [2; 3],
        cropping: Cropping::Manual {
            begin: [1; 3],
            end: [1; 3],
        },
        ..Options::default()
    };
    let conv = TransposedConv3d::new(options, w.view(), None)?;
    let plan = conv.plan([1, 1, n, n, n])?;
    let y = plan.forward(x.view())?;
    println!(
        "input {:?} ({} voxels inside), output {:?}, {:.1} MFLOP",
        x.shape(),
        x.sum(),
        y.shape(),
        conv.flops([1, 1, n, n, n])? / 1e6
    );
    // The middle row of the middle slice, before and after: a step becomes a ramp.
    let row = |a: &Array5<f32>, m: usize| {
        let line = a.slice(ndarray::s![0, 0, m, m, ..]);
        line.iter()
            .map(|v| format!("{v:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("input row:  {}", row(&x, n / 2));
    println!("output row: {}", row(&y, n));
    // Interpolation keeps a constant volume constant (away from the borders).
    let ones = plan.forward(Array5::ones((1, 1, n, n, n)).view())?;
    assert!((ones[[0, 0, n, n, n]] - 1.0).abs() < 1e-6);
    Ok(())
}
