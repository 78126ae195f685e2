//! Compute exports: buffers that live in WASM memory (JS fills and reads them through
//! typed-array views), and `tconv3d-core`'s operator lifecycle for `f32` and `f64`: an
//! operator per weights (`OperatorF32`), a plan per input size (`PlanF32`), runs that take
//! buffers and strides as numbers (no arrays to pass, so a run is one call). No maths here.

use tconv3d_core::{reorder, zeros, Cropping, Extents, Filter, Gradients, Layout, Operator, Plan};
use wasm_bindgen::prelude::*;

fn js_err(e: impl core::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn axes3<T: Copy + TryFrom<u32>>(name: &str, v: &[u32]) -> Result<[T; 3], JsError> {
    let arr: [u32; 3] = v
        .try_into()
        .map_err(|_| JsError::new(&format!("{name} must hold 3 values, got {}", v.len())))?;
    let mut out = [None; 3];
    for (o, x) in out.iter_mut().zip(arr) {
        *o = T::try_from(x).ok();
    }
    match out {
        [Some(a), Some(b), Some(c)] => Ok([a, b, c]),
        _ => Err(JsError::new(&format!("{name} value out of range: {arr:?}"))),
    }
}

fn crops(name: &str, v: &[i32]) -> Result<[i64; 3], JsError> {
    let arr: [i32; 3] = v
        .try_into()
        .map_err(|_| JsError::new(&format!("{name} must hold 3 values, got {}", v.len())))?;
    Ok(arr.map(i64::from))
}

/// The hyperparameters as JS passes them: spatial vectors in the order of the input's `S`
/// dimensions, crops ignored when `same`.
#[allow(clippy::too_many_arguments)]
fn filter(
    channels: u32,
    filters: u32,
    groups: u32,
    kernel: &[u32],
    stride: &[u32],
    dilation: &[u32],
    crop_begin: &[i32],
    crop_end: &[i32],
    same: bool,
    output_padding: &[u32],
) -> Result<Filter, JsError> {
    let cropping = if same {
        Cropping::Same
    } else {
        Cropping::Manual {
            begin: crops("cropBegin", crop_begin)?,
            end: crops("cropEnd", crop_end)?,
        }
    };
    let f = Filter {
        channels: channels as usize,
        filters: filters as usize,
        groups: groups as usize,
        kernel: axes3("FilterSize", kernel)?,
        stride: axes3("Stride", stride)?,
        dilation: axes3("DilationFactor", dilation)?,
        cropping,
        output_padding: axes3("OutputPadding", output_padding)?,
    };
    f.validate().map_err(js_err)?;
    Ok(f)
}

/// The resolved crops `[b0, b1, b2, e0, e1, e2]` of the hyperparameters (they do not depend
/// on the input's size, nor on the channel counts: one channel and filter are assumed);
/// output padding is taken off the end crops, which may then be negative.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen(js_name = croppingSize)]
pub fn cropping_size(
    groups: u32,
    kernel: &[u32],
    stride: &[u32],
    dilation: &[u32],
    crop_begin: &[i32],
    crop_end: &[i32],
    same: bool,
    output_padding: &[u32],
) -> Result<Vec<i32>, JsError> {
    let f = filter(
        groups,
        groups,
        groups,
        kernel,
        stride,
        dilation,
        crop_begin,
        crop_end,
        same,
        output_padding,
    )?;
    let c = f.crops();
    let out: Option<Vec<i32>> = [c[0].0, c[1].0, c[2].0, c[0].1, c[1].1, c[2].1]
        .into_iter()
        .map(|v| i32::try_from(v).ok())
        .collect();
    out.ok_or_else(|| JsError::new("Cropping value out of range"))
}

/// A layout from its strides `[n, s0, s1, s2, c]` and origin, in elements (checked against
/// the buffer's length by the core before any access).
fn layout(n: u32, s0: u32, s1: u32, s2: u32, c: u32, origin: u32) -> Layout {
    Layout {
        n: n as usize,
        s: [s0 as usize, s1 as usize, s2 as usize],
        c: c as usize,
        origin: origin as usize,
    }
}

/// What JS caches of a plan, in one array: output size (3), the forward input layout's
/// strides `[n, s0, s1, s2, c, origin]` (6), the length of a buffer in it, the FLOPs, and
/// the strides `[n, s0, s1, s2, c]` of the layouts of `X` and `dY` the gradients run fastest
/// on (5 each).
fn describe<T>(plan: &Plan<T>) -> Vec<f64> {
    let geo = plan.geometry();
    let l = plan.input_layout();
    let (xl, yl) = plan.gradient_layouts();
    let mut v: Vec<f64> = geo.output_size().iter().map(|&o| o as f64).collect();
    v.extend([l.n, l.s[0], l.s[1], l.s[2], l.c, l.origin].map(|s| s as f64));
    v.extend([plan.input_len() as f64, geo.flops()]);
    for g in [xl, yl] {
        v.extend([g.n, g.s[0], g.s[1], g.s[2], g.c].map(|s| s as f64));
    }
    v
}

/// Which gradients `backward` computes: bits of its `want` argument.
const WANT_DX: u32 = 1;
const WANT_DW: u32 = 2;
const WANT_DB: u32 = 4;

macro_rules! typed_exports {
    ($t:ty, $buf:ident, $op:ident, $plan:ident, $reorder:ident) => {
        /// A buffer in WASM memory; JS reads and writes it through a typed-array view at
        /// `ptr()` (fixed for the buffer's life; the view is re-derived after each call,
        /// since memory may grow).
        #[wasm_bindgen]
        pub struct $buf {
            data: Vec<$t>,
        }

        #[wasm_bindgen]
        impl $buf {
            /// A zero-filled buffer of `len` elements; an error when memory runs out.
            #[wasm_bindgen(constructor)]
            pub fn new(len: usize) -> Result<$buf, JsError> {
                Ok($buf {
                    data: zeros(len).map_err(js_err)?,
                })
            }

            /// Byte address of the first element in WASM memory.
            pub fn ptr(&self) -> usize {
                self.data.as_ptr() as usize
            }

            pub fn len(&self) -> usize {
                self.data.len()
            }

            #[wasm_bindgen(js_name = isEmpty)]
            pub fn is_empty(&self) -> bool {
                self.data.is_empty()
            }
        }

        /// One input size of an operator (see `reshape`).
        #[wasm_bindgen]
        pub struct $plan {
            plan: Plan<$t>,
        }

        #[wasm_bindgen]
        impl $plan {
            /// `[o0, o1, o2, n, s0, s1, s2, c, origin, inputLen, flops, xn, x0, x1, x2, xc,
            /// yn, y0, y1, y2, yc]`: the output size, the strides of the input layout the
            /// forward pass runs fastest on, the length of a buffer in it (with slack its
            /// vectors read past the input), the FLOPs, and the strides of the layouts of `X`
            /// and `dY` the gradients run fastest on.
            pub fn describe(&self) -> Vec<f64> {
                describe(&self.plan)
            }
        }

        /// Weights and bias packed once for one set of hyperparameters.
        #[wasm_bindgen]
        pub struct $op {
            op: Operator<$t>,
        }

        #[wasm_bindgen]
        impl $op {
            /// Validates the hyperparameters and packs `weights` (`[k0 k1 k2 F/g C/g g]`
            /// column-major) and `bias` (`F` values; empty for none), both copied in.
            #[allow(clippy::too_many_arguments)]
            #[wasm_bindgen(constructor)]
            pub fn new(
                channels: u32,
                filters: u32,
                groups: u32,
                kernel: &[u32],
                stride: &[u32],
                dilation: &[u32],
                crop_begin: &[i32],
                crop_end: &[i32],
                same: bool,
                output_padding: &[u32],
                weights: &[$t],
                bias: &[$t],
            ) -> Result<$op, JsError> {
                let f = filter(
                    channels,
                    filters,
                    groups,
                    kernel,
                    stride,
                    dilation,
                    crop_begin,
                    crop_end,
                    same,
                    output_padding,
                )?;
                let bias = (!bias.is_empty()).then_some(bias);
                Operator::new(&f, weights, bias)
                    .map(|op| $op { op })
                    .map_err(js_err)
            }

            /// The plan for `batch` inputs of spatial size `[s0, s1, s2]`.
            pub fn reshape(&self, batch: u32, s0: u32, s1: u32, s2: u32) -> Result<$plan, JsError> {
                self.op
                    .reshape(batch as usize, [s0 as usize, s1 as usize, s2 as usize])
                    .map(|plan| $plan { plan })
                    .map_err(js_err)
            }

            /// `Y = X (*)ᵀ W + b`; layouts as strides `[n, s0, s1, s2, c]` and origin.
            #[allow(clippy::too_many_arguments)]
            pub fn forward(
                &self,
                plan: &$plan,
                x: &$buf,
                xn: u32,
                x0: u32,
                x1: u32,
                x2: u32,
                xc: u32,
                xo: u32,
                y: &mut $buf,
                yn: u32,
                y0: u32,
                y1: u32,
                y2: u32,
                yc: u32,
                yo: u32,
            ) -> Result<(), JsError> {
                let xl = layout(xn, x0, x1, x2, xc, xo);
                let yl = layout(yn, y0, y1, y2, yc, yo);
                self.op
                    .forward(&plan.plan, &x.data, xl, &mut y.data, yl)
                    .map_err(js_err)
            }

            /// `forward` with `X` in `io` (layout `x*`), overwritten by `Y` (layout `y*`).
            #[allow(clippy::too_many_arguments)]
            #[wasm_bindgen(js_name = forwardInPlace)]
            pub fn forward_in_place(
                &self,
                plan: &$plan,
                io: &mut $buf,
                xn: u32,
                x0: u32,
                x1: u32,
                x2: u32,
                xc: u32,
                xo: u32,
                yn: u32,
                y0: u32,
                y1: u32,
                y2: u32,
                yc: u32,
                yo: u32,
            ) -> Result<(), JsError> {
                let xl = layout(xn, x0, x1, x2, xc, xo);
                let yl = layout(yn, y0, y1, y2, yc, yo);
                self.op
                    .forward_in_place(&plan.plan, &mut io.data, xl, yl)
                    .map_err(js_err)
            }

            /// The gradients `want` names (bits: 1 `dX`, 2 `dW`, 4 `dB`; the others' buffers
            /// are left alone) from `dY` and `X` (read for `dW`), in one call. Layouts as
            /// for `forward`; `dW` is `[k0 k1 k2 F/g C/g g]`, `dB` one value per filter.
            #[allow(clippy::too_many_arguments)]
            pub fn backward(
                &self,
                plan: &$plan,
                x: &$buf,
                xn: u32,
                x0: u32,
                x1: u32,
                x2: u32,
                xc: u32,
                dy: &$buf,
                yn: u32,
                y0: u32,
                y1: u32,
                y2: u32,
                yc: u32,
                dx: &mut $buf,
                dn: u32,
                d0: u32,
                d1: u32,
                d2: u32,
                dc: u32,
                dw: &mut $buf,
                db: &mut $buf,
                want: u32,
            ) -> Result<(), JsError> {
                let grads = Gradients {
                    dx: (want & WANT_DX != 0)
                        .then(|| (&mut dx.data[..], layout(dn, d0, d1, d2, dc, 0))),
                    dw: (want & WANT_DW != 0).then_some(&mut dw.data[..]),
                    db: (want & WANT_DB != 0).then_some(&mut db.data[..]),
                };
                self.op
                    .backward(
                        &plan.plan,
                        &x.data,
                        layout(xn, x0, x1, x2, xc, 0),
                        &dy.data,
                        layout(yn, y0, y1, y2, yc, 0),
                        grads,
                    )
                    .map_err(js_err)
            }
        }

        /// Copies a tensor of extents `[n, s0, s1, s2, c]` between two layouts (strides
        /// `[n, s0, s1, s2, c, origin]`), in parallel; `dst` elements outside its layout
        /// are kept.
        #[wasm_bindgen]
        pub fn $reorder(
            src: &$buf,
            src_strides: &[u32],
            dst: &mut $buf,
            dst_strides: &[u32],
            extents: &[u32],
        ) -> Result<(), JsError> {
            let [batch, s0, s1, s2, channels]: [u32; 5] = extents.try_into().map_err(|_| {
                JsError::new(&format!(
                    "extents must hold 5 values [n, s0, s1, s2, c], got {}",
                    extents.len()
                ))
            })?;
            let e = Extents {
                batch: batch as usize,
                spatial: [s0 as usize, s1 as usize, s2 as usize],
                channels: channels as usize,
            };
            let strides = |name: &str, v: &[u32]| -> Result<Layout, JsError> {
                let [n, s0, s1, s2, c, origin]: [u32; 6] = v.try_into().map_err(|_| {
                    JsError::new(&format!(
                        "{name} strides must hold 6 values [n, s0, s1, s2, c, origin], got {}",
                        v.len()
                    ))
                })?;
                Ok(layout(n, s0, s1, s2, c, origin))
            };
            let (sl, dl) = (
                strides("source", src_strides)?,
                strides("destination", dst_strides)?,
            );
            reorder(&src.data, sl, &mut dst.data, dl, e).map_err(js_err)
        }
    };
}

typed_exports!(f32, BufferF32, OperatorF32, PlanF32, reorder_f32);
typed_exports!(f64, BufferF64, OperatorF64, PlanF64, reorder_f64);
