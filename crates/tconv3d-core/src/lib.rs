//! tconv3d-core: MATLAB's `transposedConv3dLayer` maths: geometry, reference loops and the
//! fast forward and backward kernels. Pure Rust; compiles natively and for wasm32.
//!
//! Data flows one way: an [`Operator`] validates the hyperparameters ([`Filter`]) and packs
//! the weights once, [`Operator::reshape`] resolves an input size into a [`Plan`] (its
//! [`Geometry`], layouts and task splits), and the runs take tensors of any
//! [`layout::Layout`].

mod backward;
pub mod element;
mod forward;
pub mod geometry;
pub mod kernels;
pub mod layout;
mod nonfinite;
mod operator;
mod parallel;
pub mod reference;
mod tensor;

pub use element::Element;
pub use geometry::{weight_shape, Cropping, Filter, Geometry, GeometryError};
pub use kernels::Kernel;
pub use layout::{Extents, Layout};
pub use operator::{Gradients, Operator, Plan};
pub use tensor::{reorder, zeros};
