//! tconv3d-core: MATLAB's `transposedConv3dLayer` maths: geometry, reference loops and the
//! fast forward and backward kernels. Pure Rust; compiles natively and for wasm32.
//!
//! Data flows one way: [`geometry::Geometry`] validates the parameters, a plan packs the
//! weights once ([`forward::ForwardPlan`], [`backward::BackwardDataPlan`]), and the
//! drivers run the plan on tensors of any [`layout::Layout`].

pub mod backward;
pub mod element;
pub mod forward;
pub mod geometry;
pub mod kernels;
pub mod layout;
mod nonfinite;
mod parallel;
pub mod reference;
mod tensor;

pub use backward::{backward_bias, backward_weights, BackwardDataPlan};
pub use element::Element;
pub use forward::ForwardPlan;
pub use geometry::{ConvParams, Cropping, Geometry, GeometryError};
pub use kernels::Kernel;
pub use layout::{Extents, Layout};
pub use tensor::reorder;
