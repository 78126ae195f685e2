//! Gradients: `dX` ([`data`]), `dW` ([`weights`]) and `dB` ([`bias`]), each planned once per
//! input size (see `operator::Plan`).

pub(crate) mod bias;
pub(crate) mod data;
pub(crate) mod weights;
