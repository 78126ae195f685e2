#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! Data flows one way: an [`Operator`] validates the hyperparameters ([`Filter`]) and packs
//! the weights once, [`Operator::reshape`] resolves an input size into a [`Plan`] (its
//! [`Geometry`], layouts and task splits), and the runs take tensors of any
//! [`layout::Layout`]. [`nd`] is the same lifecycle on ndarray views.

mod backward;
pub mod element;
mod forward;
pub mod geometry;
mod implicit_gemm;
pub mod kernels;
pub mod layout;
pub mod nd;
mod nonfinite;
mod operator;
mod parallel;
pub mod reference;
mod tensor;

/// The repository README's Rust example, compiled and run by `cargo test` (rustdoc skips its
/// TypeScript, shell and text blocks).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct RepositoryReadme;

pub use element::Element;
pub use geometry::{weight_shape, Cropping, Filter, Geometry, GeometryError};
pub use kernels::Kernel;
pub use layout::{Extents, Layout};
pub use operator::{Gradients, Operator, Plan};
pub use tensor::{reorder, zeros};
