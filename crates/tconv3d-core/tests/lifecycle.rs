//! The operator's lifecycle: one packing serves plans of many input sizes, output padding is
//! a parameter of its own (validated with messages that name it), plans are tied to their
//! hyperparameters.

mod common;

// On wasm32 (scripts/test-wasm-kernels.sh) the tests are wasm-bindgen-test's, run in Node.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use common::*;
use tconv3d_core::{
    reference, Cropping, Filter, Geometry, GeometryError, Gradients, Layout, Operator,
};

fn filter(cropping: Cropping, output_padding: [usize; 3]) -> Filter {
    Filter {
        channels: 3,
        filters: 5,
        groups: 1,
        kernel: [3, 4, 2],
        stride: [2, 3, 2],
        dilation: [1, 1, 2],
        cropping,
        output_padding,
    }
}

/// One operator (one packing of the weights) runs plans of alternating batch and volume
/// sizes, each equal to the reference, forward and all three gradients, NaN-poisoned.
#[test]
fn one_packing_serves_every_input_size() {
    let f = filter(
        Cropping::Manual {
            begin: [1, 0, 2],
            end: [0, 2, 1],
        },
        [1, 2, 0],
    );
    let mut r = rng(7);
    let w = ints(&mut r, f.weight_len().unwrap());
    let b = ints(&mut r, f.filters);
    let op = Operator::<f64>::new(&f, &w, Some(&b)).unwrap();
    let sizes = [
        (1, [5, 4, 3]),
        (3, [5, 4, 3]),
        (1, [7, 2, 4]),
        (2, [1, 1, 2]),
    ];
    let plans: Vec<_> = sizes
        .iter()
        .map(|&(n, s)| op.reshape(n, s).unwrap())
        .collect();
    // Alternating: each plan again after the others, through the same operator.
    for plan in plans.iter().chain(&plans) {
        let geo = plan.geometry();
        assert_eq!(
            geo,
            &Geometry::new(&f, geo.batch, geo.input_size()).unwrap()
        );
        let (xe, ye) = (input_extents(geo), output_extents(geo));
        let (xl, yl) = (Layout::channels_first(xe), Layout::channels_first(ye));
        let x = ints(&mut r, geo.input_len());
        let dy = ints(&mut r, geo.output_len());
        let mut want = vec![0.0; geo.output_len()];
        reference::forward(geo, &x, xl, &w, Some(&b), &mut want, yl);
        let mut y = vec![f64::NAN; geo.output_len()];
        op.forward(plan, &x, xl, &mut y, yl).unwrap();
        assert_eq!(y, want, "forward, {geo:?}");
        let (mut want_dx, mut want_dw, mut want_db) = (
            vec![0.0; geo.input_len()],
            vec![0.0; geo.weight_len()],
            vec![0.0; geo.filters],
        );
        reference::backward_data(geo, &dy, yl, &w, &mut want_dx, xl);
        reference::backward_weights(geo, &x, xl, &dy, yl, &mut want_dw);
        reference::backward_bias(geo, &dy, yl, &mut want_db);
        let (mut dx, mut dw, mut db) = (
            vec![f64::NAN; geo.input_len()],
            vec![f64::NAN; geo.weight_len()],
            vec![f64::NAN; geo.filters],
        );
        let grads = Gradients {
            dx: Some((&mut dx, xl)),
            dw: Some(&mut dw),
            db: Some(&mut db),
        };
        op.backward(plan, &x, xl, &dy, yl, grads).unwrap();
        assert_eq!(
            (dx, dw, db),
            (want_dx, want_dw, want_db),
            "backward, {geo:?}"
        );
    }
}

/// Output padding adds samples at the end of each axis: the output of a manual end crop `e`
/// with padding `p` is that of end crop `e - p` without, and so are its values.
#[test]
fn output_padding_is_a_smaller_end_crop() {
    let padded = filter(
        Cropping::Manual {
            begin: [0, 1, 0],
            end: [1, 1, 0],
        },
        [1, 2, 1],
    );
    let folded = filter(
        Cropping::Manual {
            begin: [0, 1, 0],
            end: [0, -1, -1],
        },
        [0; 3],
    );
    let (gp, gf) = (
        Geometry::new(&padded, 2, [3, 2, 4]).unwrap(),
        Geometry::new(&folded, 2, [3, 2, 4]).unwrap(),
    );
    assert_eq!(gp.output_size(), gf.output_size());
    assert_eq!(padded.crops(), folded.crops());
    let mut r = rng(11);
    let w = ints(&mut r, gp.weight_len());
    let x = ints(&mut r, gp.input_len());
    let xl = Layout::channels_last(input_extents(&gp));
    let yl = Layout::channels_last(output_extents(&gp));
    let (mut yp, mut yf) = (
        vec![f64::NAN; gp.output_len()],
        vec![f64::NAN; gf.output_len()],
    );
    run_forward::<f64>(&gp, &w, None, &x, xl, &mut yp, yl);
    run_forward::<f64>(&gf, &w, None, &x, xl, &mut yf, yl);
    assert_eq!(yp, yf);
}

/// Output padding below neither the stride nor the dilation, or with "same" cropping, is
/// refused with a message naming it, the axis and the limits.
#[test]
fn output_padding_is_validated() {
    let manual = Cropping::Manual {
        begin: [0; 3],
        end: [0; 3],
    };
    let cases = [
        (
            filter(manual, [0, 3, 0]),
            GeometryError::OutputPadding {
                axis: 1,
                value: 3,
                stride: 3,
                dilation: 1,
            },
            "OutputPadding along spatial dimension 2 is 3; expected less than its Stride (3) or its DilationFactor (1)",
        ),
        (
            filter(manual, [0, 0, 2]),
            GeometryError::OutputPadding {
                axis: 2,
                value: 2,
                stride: 2,
                dilation: 2,
            },
            "OutputPadding along spatial dimension 3 is 2; expected less than its Stride (2) or its DilationFactor (2)",
        ),
        (
            filter(Cropping::Same, [1, 0, 0]),
            GeometryError::OutputPaddingSame,
            "OutputPadding needs manual cropping; Cropping \"same\" already fixes the output length (n*stride)",
        ),
    ];
    for (f, err, message) in cases {
        let w = vec![0.0; f.weight_len().unwrap()];
        let got = Operator::<f64>::new(&f, &w, None).err().unwrap();
        assert_eq!(got, err);
        assert_eq!(got.to_string(), message);
        assert_eq!(Geometry::new(&f, 1, [2, 2, 2]).unwrap_err(), err);
    }
    // Below the dilation though not the stride: allowed, as PyTorch has it.
    let mut f = filter(manual, [0, 0, 1]);
    f.stride[2] = 1;
    assert!(f.validate().is_ok());
}

/// A plan runs only on an operator of its own hyperparameters.
#[test]
fn plans_belong_to_their_hyperparameters() {
    let f = filter(Cropping::Same, [0; 3]);
    let other = Filter {
        stride: [1; 3],
        ..f
    };
    let w = vec![1.0; f.weight_len().unwrap()];
    let (a, b) = (
        Operator::<f64>::new(&f, &w, None).unwrap(),
        Operator::<f64>::new(&other, &w, None).unwrap(),
    );
    let plan = b.reshape(1, [2, 2, 2]).unwrap();
    let geo = plan.geometry();
    let mut y = vec![0.0; geo.output_len()];
    let x = vec![0.0; geo.input_len()];
    let (xl, yl) = plan.gradient_layouts();
    assert_eq!(
        a.forward(&plan, &x, xl, &mut y, yl).unwrap_err(),
        GeometryError::Plan
    );
}
