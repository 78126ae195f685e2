#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! Data flows one way: [`geometry::Geometry`] validates the parameters, a plan packs the
//! weights once ([`forward::ForwardPlan`], [`backward::BackwardDataPlan`]), and the
//! drivers run the plan on tensors of any [`layout::Layout`]; [`nd`] is the same on
//! ndarray views.

pub mod backward;
pub mod element;
pub mod forward;
pub mod geometry;
pub mod kernels;
pub mod layout;
pub mod nd;
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
