//! Output sizes, crops and errors from a table of known cases, and the phase tables'
//! partition property.

mod common;

// On wasm32 (scripts/test-wasm-kernels.sh) the tests are wasm-bindgen-test's, run in Node.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use common::Case;
use tconv3d_core::{Cropping, GeometryError};

fn params(
    input: [usize; 3],
    kernel: [usize; 3],
    stride: [usize; 3],
    dilation: [usize; 3],
    cropping: Cropping,
) -> Case {
    Case {
        batch: 1,
        channels: 2,
        filters: 3,
        groups: 1,
        input,
        kernel,
        stride,
        dilation,
        cropping,
    }
}

fn manual(b: [i64; 3], e: [i64; 3]) -> Cropping {
    Cropping::Manual { begin: b, end: e }
}

#[test]
fn known_output_sizes_and_crops() {
    // (params, output size, begin crops, end crops)
    let cases = [
        // gan shapes: k4 s2 crop 1 doubles the size.
        (
            params(
                [4, 4, 4],
                [4, 4, 4],
                [2, 2, 2],
                [1, 1, 1],
                manual([1; 3], [1; 3]),
            ),
            [8, 8, 8],
            [1; 3],
            [1; 3],
        ),
        // The seed's example layer: k 11, stride [4 4 2], no crop.
        (
            params(
                [16, 16, 8],
                [11, 11, 11],
                [4, 4, 2],
                [1, 1, 1],
                manual([0; 3], [0; 3]),
            ),
            [71, 71, 25],
            [0; 3],
            [0; 3],
        ),
        // "same": odd total crop puts the extra sample at the end.
        (
            params([5, 5, 5], [3, 3, 3], [2, 2, 2], [1, 1, 1], Cropping::Same),
            [10, 10, 10],
            [0; 3],
            [1; 3],
        ),
        (
            params([5, 6, 7], [4, 5, 2], [2, 1, 2], [1, 1, 1], Cropping::Same),
            [10, 6, 14],
            [1, 2, 0],
            [1, 2, 0],
        ),
        // "same" with a filter shorter than the stride appends samples at the end.
        (
            params([3, 3, 3], [1, 2, 1], [3, 3, 1], [1, 1, 1], Cropping::Same),
            [9, 9, 3],
            [0; 3],
            [-2, -1, 0],
        ),
        // "same" with dilation uses the dilated span: k3 d2 -> 5.
        (
            params([4, 4, 4], [3, 3, 3], [2, 2, 2], [2, 2, 2], Cropping::Same),
            [8, 8, 8],
            [1; 3],
            [2; 3],
        ),
        // Asymmetric manual crops and output padding (negative end crop).
        (
            params(
                [3, 3, 3],
                [3, 3, 3],
                [2, 2, 2],
                [1, 1, 1],
                manual([0, 1, 2], [2, 1, -1]),
            ),
            [5, 5, 6],
            [0, 1, 2],
            [2, 1, -1],
        ),
    ];
    for (p, out, b, e) in cases {
        let g = p.geometry().unwrap();
        assert_eq!(g.output_size(), out, "{p:?}");
        assert_eq!(g.axes.map(|a| a.crop_begin), b, "{p:?}");
        assert_eq!(g.axes.map(|a| a.crop_end), e, "{p:?}");
    }
}

#[test]
fn errors_name_the_parameter() {
    let ok = params(
        [2, 2, 2],
        [2, 2, 2],
        [1, 1, 1],
        [1, 1, 1],
        manual([0; 3], [0; 3]),
    );
    let cases: [(Case, GeometryError, &str); 7] = [
        (
            Case {
                stride: [1, 0, 1],
                ..ok
            },
            GeometryError::NotPositive {
                name: "Stride",
                axis: Some(1),
                value: 0,
            },
            "Stride along spatial dimension 2 is 0",
        ),
        (
            Case {
                kernel: [0, 1, 1],
                ..ok
            },
            GeometryError::NotPositive {
                name: "FilterSize",
                axis: Some(0),
                value: 0,
            },
            "FilterSize",
        ),
        (
            Case { channels: 0, ..ok },
            GeometryError::NotPositive {
                name: "NumChannels",
                axis: None,
                value: 0,
            },
            "NumChannels is 0",
        ),
        (
            Case {
                channels: 5,
                groups: 2,
                filters: 4,
                ..ok
            },
            GeometryError::Groups {
                name: "NumChannels",
                value: 5,
                groups: 2,
            },
            "multiple of NumGroups (2)",
        ),
        (
            Case {
                cropping: manual([2, 0, 0], [1, 0, 0]),
                ..ok
            },
            GeometryError::CropTooLarge {
                axis: 0,
                uncropped: 3,
                begin: 2,
                end: 1,
            },
            "less than the uncropped output length 3",
        ),
        (
            Case {
                cropping: manual([0, -1, 0], [0; 3]),
                ..ok
            },
            GeometryError::NegativeCrop { axis: 1, value: -1 },
            "nonnegative",
        ),
        (
            Case {
                input: [1 << 20, 1 << 20, 1 << 20],
                ..ok
            },
            GeometryError::TooLarge { what: "the input" },
            "too large",
        ),
    ];
    for (p, want, text) in cases {
        let err = p.geometry().unwrap_err();
        assert_eq!(err, want);
        assert!(err.to_string().contains(text), "{err}");
    }
}

/// Each output belongs to at most one phase, and to none exactly when no tap reaches it (its
/// bias alone); each tap belongs to exactly one phase; there are at most `kernel` phases,
/// whatever the stride; and the phase tables agree with the direct index maps.
#[test]
fn phases_partition_outputs_and_taps() {
    let mut r = common::rng(7);
    for _ in 0..200 {
        let g = common::random_geometry(&mut r);
        for a in g.axes {
            let phases = a.phases();
            assert!(phases.len() <= a.kernel, "{a:?}");
            let mut outs = vec![0; a.output];
            let mut taps = vec![0; a.kernel];
            for ph in &phases {
                for j in 0..ph.count {
                    let o = ph.first + j * a.stride;
                    outs[o] += 1;
                    for t in &ph.taps {
                        let want = a.input_for(o, t.k);
                        let got = t
                            .valid_range(ph.count, a.input)
                            .contains(&j)
                            .then(|| (t.base + j as i64) as usize);
                        assert_eq!(got, want, "{a:?}");
                    }
                }
                ph.taps.iter().for_each(|t| taps[t.k] += 1);
            }
            for (o, &n) in outs.iter().enumerate() {
                assert!(n <= 1, "{a:?}");
                if n == 0 {
                    assert!(
                        (0..a.kernel).all(|k| a.input_for(o, k).is_none()),
                        "{a:?} o {o}"
                    );
                }
            }
            assert_eq!(a.has_bias_only_outputs(), outs.contains(&0), "{a:?}");
            assert!(taps.iter().all(|&n| n == 1), "{a:?}");
            for k in 0..a.kernel {
                let range = a.inputs_for_tap(k);
                for i in 0..a.input {
                    assert_eq!(
                        range.contains(&i),
                        a.output_for(i, k).is_some(),
                        "{a:?} k {k} i {i}"
                    );
                }
            }
        }
    }
}

/// Outputs are written from several threads, so an output layout must be one-to-one.
#[test]
fn overlapping_output_layouts_are_refused() {
    use tconv3d_core::{Layout, Operator};
    let p = params(
        [3, 3, 3],
        [2, 2, 2],
        [1, 1, 1],
        [1, 1, 1],
        manual([0; 3], [0; 3]),
    );
    let g = p.geometry().unwrap();
    let (xe, ye) = (common::input_extents(&g), common::output_extents(&g));
    assert!(Layout::channels_last(ye).is_one_to_one(ye));
    assert!(Layout::channels_first(ye).is_one_to_one(ye));
    let overlapping = Layout {
        c: 0,
        ..Layout::channels_last(ye)
    };
    assert!(!overlapping.is_one_to_one(ye));
    let op = Operator::<f64>::new(g.filter(), &vec![1.0; g.weight_len()], None).unwrap();
    let plan = op.reshape(g.batch, g.input_size()).unwrap();
    let mut y = vec![0.0; g.output_len()];
    let err = op
        .forward(
            &plan,
            &vec![1.0; g.input_len()],
            Layout::channels_last(xe),
            &mut y,
            overlapping,
        )
        .unwrap_err();
    assert_eq!(err, GeometryError::Overlap { name: "Y" });
    assert!(err.to_string().contains("one-to-one"));
}

/// Few filters: the plan's own input layout holds each input line contiguous after slack
/// for the taps' reach before a line, and a buffer in it holds slack for whole vectors past
/// the last line; a buffer in that layout without the slack still runs (through the
/// tiles), with the same result.
#[test]
fn line_layout_and_its_slack() {
    use tconv3d_core::{Layout, Operator};
    let mut p = params(
        [5, 3, 2],
        [4, 4, 4],
        [2, 2, 2],
        [1, 1, 1],
        manual([1; 3], [1; 3]),
    );
    p.filters = 1;
    let g = p.geometry().unwrap();
    let w: Vec<f32> = (0..g.weight_len()).map(|i| (i % 7) as f32).collect();
    let op = Operator::<f32>::new(g.filter(), &w, None).unwrap();
    let plan = op.reshape(g.batch, g.input_size()).unwrap();
    let own = plan.input_layout();
    // `[S0 C S1 S2 N]`, lines of 5, no padding between them; k4 s2 crop1: the taps reach one
    // input before a line, and the 5 outputs per phase read two whole vectors (8) from one
    // past: 1 before, 1 + 8 - 5 = 4 after.
    assert_eq!((own.s[0], own.c, own.origin), (1, 5, 1));
    assert_eq!(plan.input_len(), 1 + g.input_len() + 4);
    let x: Vec<f32> = (0..plan.input_len()).map(|i| (i % 5) as f32).collect();
    let yl = Layout::channels_last(common::output_extents(&g));
    let mut with_slack = vec![f32::NAN; g.output_len()];
    op.forward(&plan, &x, own, &mut with_slack, yl).unwrap();
    let mut without = vec![f32::NAN; g.output_len()];
    // The layout's span, without the slack past it.
    let span = own.span(common::input_extents(&g)).unwrap();
    assert!(span < plan.input_len());
    op.forward(&plan, &x[..span], own, &mut without, yl)
        .unwrap();
    assert!(with_slack.iter().all(|v| v.is_finite()));
    assert_eq!(with_slack, without);
}
