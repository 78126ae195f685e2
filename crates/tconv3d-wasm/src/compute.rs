//! Compute exports: a validated geometry, buffers that live in WASM memory (JS fills and
//! reads them through typed-array views), and the forward and backward plans of
//! `tconv3d-core` for `f32` and `f64`. No maths here.

use tconv3d_core::{
    backward_bias, backward_weights, reorder, BackwardDataPlan, ConvParams, Cropping, Element,
    Extents, ForwardPlan, Geometry, Layout,
};
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

/// A validated transposed 3-D convolution (batch, channels, sizes, crops).
#[wasm_bindgen]
pub struct Conv {
    geo: Geometry,
}

#[wasm_bindgen]
impl Conv {
    /// Validates the parameters; `same` selects `"same"` cropping and ignores the crops.
    /// Spatial vectors follow the order of the input's `S` dimensions.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(constructor)]
    pub fn new(
        batch: u32,
        channels: u32,
        filters: u32,
        groups: u32,
        input: &[u32],
        kernel: &[u32],
        stride: &[u32],
        dilation: &[u32],
        crop_begin: &[i32],
        crop_end: &[i32],
        same: bool,
    ) -> Result<Conv, JsError> {
        let cropping = if same {
            Cropping::Same
        } else {
            Cropping::Manual {
                begin: crops("cropBegin", crop_begin)?,
                end: crops("cropEnd", crop_end)?,
            }
        };
        let p = ConvParams {
            batch: batch as usize,
            channels: channels as usize,
            filters: filters as usize,
            groups: groups as usize,
            input: axes3("input size", input)?,
            kernel: axes3("FilterSize", kernel)?,
            stride: axes3("Stride", stride)?,
            dilation: axes3("DilationFactor", dilation)?,
            cropping,
        };
        Geometry::new(&p).map(|geo| Conv { geo }).map_err(js_err)
    }

    /// Output length of each spatial dimension.
    #[wasm_bindgen(js_name = outputSize)]
    pub fn output_size(&self) -> Vec<u32> {
        self.geo.output_size().iter().map(|&v| v as u32).collect()
    }

    /// Resolved crops at the start of each spatial dimension.
    #[wasm_bindgen(js_name = cropBegin)]
    pub fn crop_begin(&self) -> Vec<i32> {
        self.geo.axes.iter().map(|a| a.crop_begin as i32).collect()
    }

    /// Resolved crops at the end of each spatial dimension (negative: padding).
    #[wasm_bindgen(js_name = cropEnd)]
    pub fn crop_end(&self) -> Vec<i32> {
        self.geo.axes.iter().map(|a| a.crop_end as i32).collect()
    }

    #[wasm_bindgen(js_name = inputLen)]
    pub fn input_len(&self) -> usize {
        self.geo.input_len()
    }

    #[wasm_bindgen(js_name = outputLen)]
    pub fn output_len(&self) -> usize {
        self.geo.output_len()
    }

    #[wasm_bindgen(js_name = weightLen)]
    pub fn weight_len(&self) -> usize {
        self.geo.weight_len()
    }

    /// `2*N*Cin*(Cout/g)*taps*input voxels`.
    pub fn flops(&self) -> f64 {
        self.geo.flops()
    }
}

/// Reads element strides `[n, s0, s1, s2, c]` of a tensor in a buffer (checked against the
/// buffer's length by the core before any access).
fn layout(name: &str, strides: &[u32]) -> Result<Layout, JsError> {
    let [n, s0, s1, s2, c, origin]: [u32; 6] = strides.try_into().map_err(|_| {
        JsError::new(&format!(
            "{name} strides must hold 6 values [n, s0, s1, s2, c, origin], got {}",
            strides.len()
        ))
    })?;
    Ok(Layout {
        n: n as usize,
        s: [s0 as usize, s1 as usize, s2 as usize],
        c: c as usize,
        origin: origin as usize,
    })
}

/// `len` zeros, or an error naming the size when WASM memory cannot grow to hold them (where
/// `vec!` would abort the instance with an `unreachable` trap).
fn zeros<T: Element>(len: usize) -> Result<Vec<T>, JsError> {
    let fail = || {
        JsError::new(&format!(
            "cannot allocate {len} elements ({} bytes) in WASM memory: it cannot grow that far \
             (4 GiB at most, shared by every array and buffer)",
            len.saturating_mul(core::mem::size_of::<T>())
        ))
    };
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| fail())?;
    if layout.size() == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: the layout's size is nonzero (checked above).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(fail());
    }
    // SAFETY: `ptr` comes from the global allocator with `Layout::array::<T>(len)`, the layout
    // of a `Vec<T>` of capacity `len`; its bytes are all zero, which is 0.0 for both element
    // types (f32, f64), so all `len` elements are initialised; the Vec takes ownership.
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

macro_rules! typed_exports {
    ($t:ty, $buf:ident, $fwd:ident, $bwd:ident, $dw:ident, $db:ident, $reorder:ident) => {
        /// A buffer in WASM memory; JS reads and writes it through a typed-array view at
        /// `ptr()` (re-derived after each call, since memory may grow).
        #[wasm_bindgen]
        pub struct $buf {
            data: Vec<$t>,
        }

        #[wasm_bindgen]
        impl $buf {
            /// A zero-filled buffer of `len` elements; an error when memory runs out.
            #[wasm_bindgen(constructor)]
            pub fn new(len: usize) -> Result<$buf, JsError> {
                Ok($buf { data: zeros(len)? })
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

        /// Forward plan: weights and bias packed once for one geometry.
        #[wasm_bindgen]
        pub struct $fwd {
            plan: ForwardPlan<$t>,
        }

        #[wasm_bindgen]
        impl $fwd {
            /// Packs `weights` (`[k0 k1 k2 F/g C/g g]` column-major) and `bias` (`F`
            /// values; empty for none). Both are copied in.
            #[wasm_bindgen(constructor)]
            pub fn new(conv: &Conv, weights: &[$t], bias: &[$t]) -> Result<$fwd, JsError> {
                let bias = (!bias.is_empty()).then_some(bias);
                ForwardPlan::new(&conv.geo, weights, bias)
                    .map(|plan| $fwd { plan })
                    .map_err(js_err)
            }

            /// Strides `[n, s0, s1, s2, c, origin]` of the input layout the plan runs
            /// fastest on, in a buffer of `inputLen()` elements.
            #[wasm_bindgen(js_name = inputStrides)]
            pub fn input_strides(&self) -> Vec<u32> {
                let l = self.plan.input_layout();
                [l.n, l.s[0], l.s[1], l.s[2], l.c, l.origin]
                    .iter()
                    .map(|&v| v as u32)
                    .collect()
            }

            /// Elements of a buffer in that layout: the input's, plus any slack that whole
            /// vectors read past it (its values are never used).
            #[wasm_bindgen(js_name = inputLen)]
            pub fn input_len(&self) -> usize {
                self.plan.input_len()
            }

            /// `Y = X (*)ᵀ W + b`; `x_strides`/`y_strides` are `[n, s0, s1, s2, c, origin]` in elements.
            pub fn run(
                &self,
                x: &$buf,
                x_strides: &[u32],
                y: &mut $buf,
                y_strides: &[u32],
            ) -> Result<(), JsError> {
                let xl = layout("X", x_strides)?;
                let yl = layout("Y", y_strides)?;
                self.plan.run(&x.data, xl, &mut y.data, yl).map_err(js_err)
            }
        }

        /// Input-gradient plan: weights packed once for one geometry.
        #[wasm_bindgen]
        pub struct $bwd {
            plan: BackwardDataPlan<$t>,
        }

        #[wasm_bindgen]
        impl $bwd {
            #[wasm_bindgen(constructor)]
            /// Packs `weights`, copied in.
            pub fn new(conv: &Conv, weights: &[$t]) -> Result<$bwd, JsError> {
                BackwardDataPlan::new(&conv.geo, weights)
                    .map(|plan| $bwd { plan })
                    .map_err(js_err)
            }

            /// `dX` from `dY`.
            pub fn run(
                &self,
                dy: &$buf,
                y_strides: &[u32],
                dx: &mut $buf,
                x_strides: &[u32],
            ) -> Result<(), JsError> {
                let yl = layout("dLdY", y_strides)?;
                let xl = layout("dLdX", x_strides)?;
                self.plan
                    .run(&dy.data, yl, &mut dx.data, xl)
                    .map_err(js_err)
            }
        }

        /// `dW` (`[k0 k1 k2 F/g C/g g]` column-major) from `X` and `dY`.
        #[wasm_bindgen]
        pub fn $dw(
            conv: &Conv,
            x: &$buf,
            x_strides: &[u32],
            dy: &$buf,
            y_strides: &[u32],
            dw: &mut $buf,
        ) -> Result<(), JsError> {
            let xl = layout("X", x_strides)?;
            let yl = layout("dLdY", y_strides)?;
            backward_weights(&conv.geo, &x.data, xl, &dy.data, yl, &mut dw.data).map_err(js_err)
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
            let (sl, dl) = (
                layout("source", src_strides)?,
                layout("destination", dst_strides)?,
            );
            reorder(&src.data, sl, &mut dst.data, dl, e).map_err(js_err)
        }

        /// `dB` (one value per filter) from `dY`.
        #[wasm_bindgen]
        pub fn $db(
            conv: &Conv,
            dy: &$buf,
            y_strides: &[u32],
            db: &mut $buf,
        ) -> Result<(), JsError> {
            let yl = layout("dLdY", y_strides)?;
            backward_bias(&conv.geo, &dy.data, yl, &mut db.data).map_err(js_err)
        }
    };
}

typed_exports!(
    f32,
    BufferF32,
    ForwardF32,
    BackwardDataF32,
    backward_weights_f32,
    backward_bias_f32,
    reorder_f32
);
typed_exports!(
    f64,
    BufferF64,
    ForwardF64,
    BackwardDataF64,
    backward_weights_f64,
    backward_bias_f64,
    reorder_f64
);
