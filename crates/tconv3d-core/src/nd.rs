//! The crate's front door for Rust users: a transposed 3-D convolution on [`ndarray`] views.
//!
//! Arrays are indexed `[N, C, D, H, W]` (batch, channels, then the three spatial axes, as
//! PyTorch's `ConvTranspose3d` has them) with any strides, so each memory order is a view
//! away, without a copy:
//!
//! - row-major NCDHW (PyTorch, ONNX): `ArrayView5::from_shape((n, c, d, h, w), &data)`;
//! - row-major NDHWC (channels-last): `ArrayView5::from_shape((n, d, h, w, c), &data)` then
//!   `.permuted_axes([0, 4, 1, 2, 3])`;
//! - MATLAB's column-major `H×W×D×C×N` (`"SSSCB"`): `ArrayView5::from_shape((h, w, d, c,
//!   n).f(), &data)` then `.permuted_axes([4, 3, 2, 0, 1])`.
//!
//! Weights are `[Cin, Cout/groups, kD, kH, kW]`, PyTorch's `ConvTranspose3d.weight`; a bias
//! has `Cout` values. Inputs already in the layout a pass's kernels walk fastest (row-major
//! NDHWC for most shapes) are read in place, others copied into it first (one parallel pass);
//! outputs whose elements fill their memory with non-negative strides are written in place.
//!
//! The lifecycle is the one of the WebAssembly layer: [`TransposedConv3d::new`] validates
//! the hyperparameters and takes the weights; [`TransposedConv3d::plan`] fixes an input
//! size; the plan's passes take only arrays, as often as needed. With the `parallel`
//! feature the passes run on rayon's current pool (call them inside a pool's `install` to
//! choose the threads).

use core::fmt;

use ndarray::{Array1, Array5, ArrayView1, ArrayView5, ArrayViewMut1, ArrayViewMut5, ShapeBuilder};

pub use crate::geometry::Cropping;
use crate::geometry::{Filter, Geometry, GeometryError};
use crate::kernels::Kernel;
use crate::layout::{Extents, Layout};
use crate::operator::{self, Operator};
use crate::tensor::{reorder, zeros};

/// An input or output shape, `[N, C, D, H, W]`.
pub type Shape = [usize; 5];

/// The hyperparameters other than the filter size (the weights' shape gives it). Spatial
/// vectors are `[D, H, W]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Step between the input's samples in the output (the upsampling factor).
    pub stride: [usize; 3],
    /// Step between a filter's taps.
    pub dilation: [usize; 3],
    /// How the full output is trimmed: [`Cropping::Same`] (output `input * stride`) or
    /// crops at each axis's begin and end (PyTorch's `padding`).
    pub cropping: Cropping,
    /// Samples added at the end of each axis after manual cropping (PyTorch's
    /// `output_padding`), each less than the axis's stride or dilation.
    pub output_padding: [usize; 3],
    /// Convolution groups: channels and filters split into this many independent parts.
    pub groups: usize,
}

impl Default for Options {
    /// Stride 1, no dilation, no cropping, one group.
    fn default() -> Self {
        Self {
            stride: [1; 3],
            dilation: [1; 3],
            cropping: Cropping::Manual {
                begin: [0; 3],
                end: [0; 3],
            },
            groups: 1,
            output_padding: [0; 3],
        }
    }
}

/// Why a call was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The hyperparameters, the weights' shape or the input's size define no convolution
    /// (the message names the parameter, its value and what was expected).
    Geometry(GeometryError),
    /// An array whose shape differs from the one the call needs.
    Shape {
        argument: &'static str,
        actual: Vec<usize>,
        expected: Vec<usize>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Geometry(e) => e.fmt(f),
            Self::Shape {
                argument,
                actual,
                expected,
            } => write!(f, "{argument} has shape {actual:?}; expected {expected:?}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Geometry(e) => Some(e),
            Self::Shape { .. } => None,
        }
    }
}

impl From<GeometryError> for Error {
    /// Numbers spatial dimensions in this API's `[D, H, W]` order (the core's are `[W, H, D]`).
    fn from(e: GeometryError) -> Self {
        let ours = |a: usize| 2 - a;
        Self::Geometry(match e {
            GeometryError::NotPositive { name, axis, value } => GeometryError::NotPositive {
                name,
                axis: axis.map(ours),
                value,
            },
            GeometryError::NegativeCrop { axis, value } => GeometryError::NegativeCrop {
                axis: ours(axis),
                value,
            },
            GeometryError::OutputPadding {
                axis,
                value,
                stride,
                dilation,
            } => GeometryError::OutputPadding {
                axis: ours(axis),
                value,
                stride,
                dilation,
            },
            GeometryError::CropTooLarge {
                axis,
                uncropped,
                begin,
                end,
            } => GeometryError::CropTooLarge {
                axis: ours(axis),
                uncropped,
                begin,
                end,
            },
            other => other,
        })
    }
}

fn check_shape(argument: &'static str, actual: &[usize], expected: &[usize]) -> Result<(), Error> {
    if actual == expected {
        Ok(())
    } else {
        Err(Error::Shape {
            argument,
            actual: actual.to_vec(),
            expected: expected.to_vec(),
        })
    }
}

/// `[D, H, W]` as the core's axes `[s0, s1, s2]`, fastest first in row-major NCDHW.
fn core_axes<V: Copy>(dhw: [V; 3]) -> [V; 3] {
    [dhw[2], dhw[1], dhw[0]]
}

/// A transposed 3-D convolution with its weights: the first step of the lifecycle, which
/// validates the hyperparameters and packs the weights once for every input size.
pub struct TransposedConv3d<T> {
    operator: Operator<T>,
}

impl<T: Kernel> TransposedConv3d<T> {
    /// Validates the hyperparameters and packs the weights (`[Cin, Cout/groups, kD, kH,
    /// kW]`) and an optional bias (`Cout` values).
    pub fn new(
        options: Options,
        weights: ArrayView5<T>,
        bias: Option<ArrayView1<T>>,
    ) -> Result<Self, Error> {
        let [cin, fg, kd, kh, kw]: [usize; 5] = weights
            .shape()
            .try_into()
            .expect("a 5-D view has 5 lengths");
        let filters = fg
            .checked_mul(options.groups)
            .ok_or(GeometryError::TooLarge { what: "Cout" })?;
        if let Some(b) = &bias {
            check_shape("bias", b.shape(), &[filters])?;
        }
        let cropping = match options.cropping {
            Cropping::Same => Cropping::Same,
            Cropping::Manual { begin, end } => Cropping::Manual {
                begin: core_axes(begin),
                end: core_axes(end),
            },
        };
        let filter = Filter {
            channels: cin,
            filters,
            groups: options.groups,
            kernel: core_axes([kd, kh, kw]),
            stride: core_axes(options.stride),
            dilation: core_axes(options.dilation),
            cropping,
            output_padding: core_axes(options.output_padding),
        };
        // Row-major `[Cin, Cout/g, kD, kH, kW]` is the core's column-major
        // `[k0 k1 k2 F/g C/g g]` with `k0` along W.
        let w: Vec<T> = weights.iter().copied().collect();
        let bias = bias.map(|b| b.to_vec());
        Ok(Self {
            operator: Operator::new(&filter, &w, bias.as_deref())?,
        })
    }

    /// Input channels (`Cin`).
    pub fn channels(&self) -> usize {
        self.operator.filter().channels
    }

    /// Output channels (`Cout`).
    pub fn filters(&self) -> usize {
        self.operator.filter().filters
    }

    fn reshape(&self, input: Shape) -> Result<operator::Plan<T>, Error> {
        let [batch, channels, d, h, w] = input;
        if channels != self.channels() {
            return Err(Error::Shape {
                argument: "the input",
                actual: input.to_vec(),
                expected: vec![batch, self.channels(), d, h, w],
            });
        }
        Ok(self.operator.reshape(batch, core_axes([d, h, w]))?)
    }

    /// The output's shape for an input of shape `input`.
    pub fn output_shape(&self, input: Shape) -> Result<Shape, Error> {
        Ok(output_shape(self.reshape(input)?.geometry()))
    }

    /// Floating-point operations of a forward pass on an input of shape `input`
    /// (`2 * N * Cin * Cout/groups * taps * input voxels`).
    pub fn flops(&self, input: Shape) -> Result<f64, Error> {
        Ok(self.reshape(input)?.geometry().flops())
    }

    /// The plan for inputs of shape `input`: sizes resolved, every pass's layouts and split
    /// into tasks chosen; the weights stay the ones packed by [`TransposedConv3d::new`].
    pub fn plan(&self, input: Shape) -> Result<Plan<'_, T>, Error> {
        Ok(Plan {
            operator: &self.operator,
            plan: self.reshape(input)?,
        })
    }

    /// `Y` for `X`: plans for `X`'s shape and runs the forward pass into a new array.
    pub fn forward(&self, x: ArrayView5<T>) -> Result<Array5<T>, Error> {
        self.plan(shape_of(&x))?.forward(x)
    }
}

fn shape_of<T>(a: &ArrayView5<T>) -> Shape {
    a.shape().try_into().expect("a 5-D view has 5 lengths")
}

fn output_shape(geo: &Geometry) -> Shape {
    let [w, h, d] = geo.output_size();
    [geo.batch, geo.filters, d, h, w]
}

/// The core's layout of a logical `[N, C, D, H, W]` view: `None` when a stride is negative.
/// An axis of length 1 is never stepped along, so its stride is irrelevant (ndarray may give
/// any).
fn layout_of(shape: &[usize], strides: &[isize]) -> Option<Layout> {
    let s: Vec<usize> = shape
        .iter()
        .zip(strides)
        .map(|(&len, &st)| {
            if len == 1 {
                Some(0)
            } else {
                usize::try_from(st).ok()
            }
        })
        .collect::<Option<_>>()?;
    Some(Layout {
        n: s[0],
        c: s[1],
        s: core_axes([s[2], s[3], s[4]]),
        origin: 0,
    })
}

/// `x`'s elements and their layout: in place when they are in the pass's preferred layout
/// `to` already (in a buffer of `len`), else copied into it. A pass reads each input element
/// many times, from several threads, so one copy into the layout its kernels walk fastest
/// costs less than reading another one strided.
fn read<'a, T: Kernel>(
    x: &'a ArrayView5<'_, T>,
    (to, len): (Layout, usize),
    copy: &'a mut Vec<T>,
) -> Result<(&'a [T], Layout), Error> {
    let shape = shape_of(x);
    let held = layout_of(x.shape(), x.strides()).zip(x.as_slice_memory_order());
    if let Some((l, data)) = held {
        if l == layout_of(&shape, &strides_of(to)).expect("a layout's strides are positive")
            && to.origin == 0
            && data.len() >= len
        {
            return Ok((data, to));
        }
    }
    *copy = zeros(len)?;
    match held {
        Some((l, data)) => reorder(data, l, copy, to, extents(shape))?,
        None => view_in(copy, to, shape).assign(x),
    }
    Ok((copy, to))
}

/// A layout's strides in this API's axis order `[N, C, D, H, W]`.
fn strides_of(l: Layout) -> [isize; 5] {
    [l.n, l.c, l.s[2], l.s[1], l.s[0]].map(|v| v as isize)
}

fn extents(shape: Shape) -> Extents {
    let [batch, channels, d, h, w] = shape;
    Extents {
        batch,
        spatial: core_axes([d, h, w]),
        channels,
    }
}

/// A logical `[N, C, D, H, W]` view of `buf` in the core's layout `l`.
fn view_in<T>(buf: &mut [T], l: Layout, shape: Shape) -> ArrayViewMut5<'_, T> {
    let [s0, s1, s2] = l.s;
    ArrayViewMut5::from_shape(shape.strides([l.n, l.c, s2, s1, s0]), &mut buf[l.origin..])
        .expect("the layout fits its buffer")
}

/// Runs `pass` on `y`'s memory when it fills it with non-negative strides, else on a
/// channels-last buffer copied into `y` afterwards.
fn write<T: Kernel>(
    y: &mut ArrayViewMut5<T>,
    pass: impl FnOnce(&mut [T], Layout) -> Result<(), GeometryError>,
) -> Result<(), Error> {
    let shape = shape_of(&y.view());
    if let Some(l) = layout_of(y.shape(), y.strides()) {
        if let Some(data) = y.as_slice_memory_order_mut() {
            return Ok(pass(data, l)?);
        }
    }
    let l = Layout::channels_last(extents(shape));
    let mut buf = zeros(shape.iter().product())?;
    pass(&mut buf, l)?;
    y.assign(&view_in(&mut buf, l, shape));
    Ok(())
}

/// A [`TransposedConv3d`] fixed to one input shape: the passes, which take only arrays.
pub struct Plan<'a, T> {
    operator: &'a Operator<T>,
    plan: operator::Plan<T>,
}

/// The gradients of a loss with respect to the input, the weights and the bias.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients<T> {
    /// `dL/dX`, shaped like the input.
    pub input: Array5<T>,
    /// `dL/dW`, shaped like the weights: `[Cin, Cout/groups, kD, kH, kW]`.
    pub weights: Array5<T>,
    /// `dL/db`, `Cout` values.
    pub bias: Array1<T>,
}

impl<T: Kernel> Plan<'_, T> {
    fn geo(&self) -> &Geometry {
        self.plan.geometry()
    }

    /// The input shape this plan runs on.
    pub fn input_shape(&self) -> Shape {
        let [w, h, d] = self.geo().input_size();
        [self.geo().batch, self.geo().channels, d, h, w]
    }

    /// The output shape.
    pub fn output_shape(&self) -> Shape {
        output_shape(self.geo())
    }

    fn weight_shape(&self) -> Shape {
        let [kw, kh, kd] = self.geo().kernel_size();
        [
            self.geo().channels,
            self.geo().filters_per_group(),
            kd,
            kh,
            kw,
        ]
    }

    /// `Y = X (*)ᵀ W + b`, written into `y`.
    pub fn forward_into(&self, x: ArrayView5<T>, mut y: ArrayViewMut5<T>) -> Result<(), Error> {
        check_shape("X", x.shape(), &self.input_shape())?;
        check_shape("Y", y.shape(), &self.output_shape())?;
        let mut copy = Vec::new();
        let to = (self.plan.input_layout(), self.plan.input_len());
        let (x, xl) = read(&x, to, &mut copy)?;
        write(&mut y, |y, yl| {
            self.operator.forward(&self.plan, x, xl, y, yl)
        })
    }

    /// `Y = X (*)ᵀ W + b`, in a new array.
    pub fn forward(&self, x: ArrayView5<T>) -> Result<Array5<T>, Error> {
        let mut y = Array5::from_elem(self.output_shape(), T::ZERO);
        self.forward_into(x, y.view_mut())?;
        Ok(y)
    }

    /// The gradients `dx`, `dw`, `db` asks for (each `None` is skipped), from `X` (read for
    /// `dW` only) and `dL/dY`, in one pass over `dL/dY`.
    pub fn backward_into(
        &self,
        x: ArrayView5<T>,
        dy: ArrayView5<T>,
        dx: Option<ArrayViewMut5<T>>,
        dw: Option<ArrayViewMut5<T>>,
        db: Option<ArrayViewMut1<T>>,
    ) -> Result<(), Error> {
        check_shape("X", x.shape(), &self.input_shape())?;
        check_shape("dLdY", dy.shape(), &self.output_shape())?;
        if let Some(dx) = &dx {
            check_shape("dLdX", dx.shape(), &self.input_shape())?;
        }
        if let Some(dw) = &dw {
            check_shape("dLdW", dw.shape(), &self.weight_shape())?;
        }
        if let Some(db) = &db {
            check_shape("dLdB", db.shape(), &[self.geo().filters])?;
        }
        let (xcl, ycl) = self.plan.gradient_layouts();
        let (mut xc, mut yc) = (Vec::new(), Vec::new());
        let (input, out) = (self.input_shape(), self.output_shape());
        let (dy, yl) = read(&dy, (ycl, out.iter().product()), &mut yc)?;
        // X is read only for dW.
        let (x, xl) = if dw.is_some() {
            read(&x, (xcl, input.iter().product()), &mut xc)?
        } else {
            (&[][..], xcl)
        };
        // Allocations that may be large fail with an error, not an abort.
        let mut dw_buf = dw
            .as_ref()
            .map(|_| zeros(self.weight_shape().iter().product()))
            .transpose()?;
        let mut db_buf = db.as_ref().map(|_| vec![T::ZERO; self.geo().filters]);
        let mut run = |dx: Option<(&mut [T], Layout)>| {
            self.operator.backward(
                &self.plan,
                x,
                xl,
                dy,
                yl,
                operator::Gradients {
                    dx,
                    dw: dw_buf.as_deref_mut(),
                    db: db_buf.as_deref_mut(),
                },
            )
        };
        match dx {
            Some(mut dx) => write(&mut dx, |dx, dxl| run(Some((dx, dxl))))?,
            None => run(None)?,
        }
        if let (Some(mut dw), Some(buf)) = (dw, dw_buf) {
            dw.assign(&ArrayView5::from_shape(self.weight_shape(), &buf).expect("dW's shape"));
        }
        if let (Some(mut db), Some(buf)) = (db, db_buf) {
            db.assign(&ArrayView1::from(&buf));
        }
        Ok(())
    }

    /// The three gradients from `X` and `dL/dY`, in new arrays.
    pub fn backward(&self, x: ArrayView5<T>, dy: ArrayView5<T>) -> Result<Gradients<T>, Error> {
        let mut g = Gradients {
            input: Array5::from_elem(self.input_shape(), T::ZERO),
            weights: Array5::from_elem(self.weight_shape(), T::ZERO),
            bias: Array1::from_elem(self.geo().filters, T::ZERO),
        };
        self.backward_into(
            x,
            dy,
            Some(g.input.view_mut()),
            Some(g.weights.view_mut()),
            Some(g.bias.view_mut()),
        )?;
        Ok(g)
    }
}
