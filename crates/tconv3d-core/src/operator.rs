//! The operator's lifecycle, as XNNPACK's create → reshape → run: an [`Operator`] packs the
//! weights of one set of hyperparameters once (for the forward pass and for `dX`: neither
//! packing depends on the input's size), [`Operator::reshape`] resolves an input size into a
//! [`Plan`] (geometry, crops, output size, the layouts each pass runs fastest on and every
//! pass's split into tasks), and the runs take only buffers. A caller keeps one operator per
//! weights and one plan per input size it sees.

use core::marker::PhantomData;
use std::borrow::Cow;

use crate::backward::{bias, data, weights};
use crate::forward::{ForwardShape, ForwardWeights};
use crate::geometry::{Filter, Geometry, GeometryError};
use crate::kernels::Kernel;
use crate::layout::{Extents, Layout};
use crate::reference::{input_extents, output_extents};
use crate::tensor::{check_len, check_output, check_span, reorder, zeros};

/// Weights packed for one set of hyperparameters.
pub struct Operator<T> {
    filter: Filter,
    forward: ForwardWeights<T>,
    data: data::DataWeights<T>,
}

/// One input size of an operator: its geometry and what every pass needs besides the
/// weights. Made by [`Operator::reshape`]; it holds no weights, so any operator of the same
/// hyperparameters runs it.
pub struct Plan<T> {
    geo: Geometry,
    forward: ForwardShape,
    data: data::DataSplit,
    weights: weights::WeightsSplit,
    bias: bias::BiasSplit,
    /// The splits depend on the element size.
    elem: PhantomData<fn() -> T>,
}

/// The gradients a backward call computes: each one asked for is written whole.
pub struct Gradients<'a, T> {
    /// `dX` and its layout.
    pub dx: Option<(&'a mut [T], Layout)>,
    /// `dW`, `[k0 k1 k2 F/g C/g g]` column-major.
    pub dw: Option<&'a mut [T]>,
    /// `dB`, one value per filter.
    pub db: Option<&'a mut [T]>,
}

impl<T> Plan<T> {
    /// The validated geometry: output size, crops, FLOPs.
    pub fn geometry(&self) -> &Geometry {
        &self.geo
    }

    /// The input layout the forward pass runs fastest on (see [`Plan::input_len`]).
    pub fn input_layout(&self) -> Layout {
        self.forward.input_layout(&self.geo)
    }

    /// Elements of an input buffer in [`Plan::input_layout`], with the slack its lanes read
    /// past the input (never used).
    pub fn input_len(&self) -> usize {
        self.forward.input_len(&self.geo)
    }

    /// The layout of `X` and `dY` the gradients run fastest on: channels-last.
    pub fn gradient_layouts(&self) -> (Layout, Layout) {
        (
            Layout::channels_last(input_extents(&self.geo)),
            Layout::channels_last(output_extents(&self.geo)),
        )
    }
}

impl<T: Kernel> Operator<T> {
    /// Validates the hyperparameters and packs `w` (`[k0 k1 k2 F/g C/g g]` column-major) and
    /// `bias` (`F` values, or none), both copied.
    pub fn new(filter: &Filter, w: &[T], bias: Option<&[T]>) -> Result<Self, GeometryError> {
        filter.validate()?;
        check_len("weights", w.len(), filter.weight_len()?)?;
        if let Some(b) = bias {
            check_len("bias", b.len(), filter.filters)?;
        }
        Ok(Self {
            filter: *filter,
            forward: ForwardWeights::new(filter, w, bias)?,
            data: data::DataWeights::new(filter, w)?,
        })
    }

    /// The hyperparameters.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The plan for `batch` inputs of spatial size `input` (in the order of the `S` labels).
    pub fn reshape(&self, batch: usize, input: [usize; 3]) -> Result<Plan<T>, GeometryError> {
        let geo = Geometry::new(&self.filter, batch, input)?;
        // `dY` as the gradients take it: channels-last, whose voxels' filters follow each
        // other along axis 0 only with one group.
        let data = data::DataSplit::new(&geo, &self.data, geo.groups == 1);
        Ok(Plan {
            forward: self.forward.shape(&geo),
            data,
            weights: weights::WeightsSplit::new::<T>(&geo),
            bias: bias::BiasSplit::new(&geo),
            geo,
            elem: PhantomData,
        })
    }

    fn check_plan(&self, plan: &Plan<T>) -> Result<(), GeometryError> {
        if plan.geo.filter() == &self.filter {
            Ok(())
        } else {
            Err(GeometryError::Plan)
        }
    }

    /// `Y = X (*)ᵀ W + b`, any layouts; every element of `Y` inside its layout is written.
    /// Fastest with `X` in [`Plan::input_layout`], in a buffer of [`Plan::input_len`].
    pub fn forward(
        &self,
        plan: &Plan<T>,
        x: &[T],
        xl: Layout,
        y: &mut [T],
        yl: Layout,
    ) -> Result<(), GeometryError> {
        self.check_plan(plan)?;
        check_span("X", x.len(), xl, input_extents(&plan.geo))?;
        check_output("Y", y.len(), yl, output_extents(&plan.geo))?;
        self.forward.run(&plan.geo, &plan.forward, x, xl, y, yl);
        Ok(())
    }

    /// [`Operator::forward`] with `X` (in layout `xl`) in the buffer that `Y` then
    /// overwrites: `X` is copied into the plan's input layout first. What a caller that
    /// must copy `X` into memory anyway does with one buffer, the output's.
    pub fn forward_in_place(
        &self,
        plan: &Plan<T>,
        io: &mut [T],
        xl: Layout,
        yl: Layout,
    ) -> Result<(), GeometryError> {
        self.check_plan(plan)?;
        let xe = input_extents(&plan.geo);
        check_span("X", io.len(), xl, xe)?;
        check_output("Y", io.len(), yl, output_extents(&plan.geo))?;
        let ml = plan.input_layout();
        let mut x = zeros(plan.input_len())?;
        reorder(io, xl, &mut x, ml, xe)?;
        self.forward.run(&plan.geo, &plan.forward, &x, ml, io, yl);
        Ok(())
    }

    /// The gradients `grads` asks for from `dY` (and `X`, read for `dW` only), any layouts;
    /// fastest with both in [`Plan::gradient_layouts`].
    pub fn backward(
        &self,
        plan: &Plan<T>,
        x: &[T],
        xl: Layout,
        dy: &[T],
        yl: Layout,
        grads: Gradients<'_, T>,
    ) -> Result<(), GeometryError> {
        self.check_plan(plan)?;
        let geo = &plan.geo;
        let (xe, ye) = (input_extents(geo), output_extents(geo));
        let (xcl, ycl) = plan.gradient_layouts();
        if let Some((dx, dxl)) = &grads.dx {
            check_output("dLdX", dx.len(), *dxl, xe)?;
        }
        if let Some(dw) = &grads.dw {
            check_len("dLdW", dw.len(), geo.weight_len())?;
            check_span("X", x.len(), xl, xe)?;
        }
        if let Some(db) = &grads.db {
            check_len("dLdB", db.len(), geo.filters)?;
        }
        let dy = channels_last("dLdY", dy, yl, ycl, ye)?;
        if let Some(dw) = grads.dw {
            let x = channels_last("X", x, xl, xcl, xe)?;
            weights::run(geo, &plan.weights, &x, &dy, dw);
        }
        if let Some(db) = grads.db {
            bias::run(geo, &plan.bias, &dy, db);
        }
        if let Some((dx, dxl)) = grads.dx {
            self.data.run(geo, &plan.data, &dy, ycl, dx, dxl);
        }
        Ok(())
    }
}

/// The tensor `v` (layout `l`, extents `e`) in the channels-last layout `cl`: itself when it
/// is in it already, else a copy.
fn channels_last<'a, T: Kernel>(
    name: &'static str,
    v: &'a [T],
    l: Layout,
    cl: Layout,
    e: Extents,
) -> Result<Cow<'a, [T]>, GeometryError> {
    check_span(name, v.len(), l, e)?;
    if l == cl {
        return Ok(Cow::Borrowed(&v[..e.len()]));
    }
    let mut copy = zeros(e.len())?;
    reorder(v, l, &mut copy, cl, e)?;
    Ok(Cow::Owned(copy))
}
