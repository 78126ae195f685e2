//! Buffer checks and the conversion to and from the kernels' channels-last layout, done
//! once at the boundary and skipped when the caller's tensor is channels-last already.

use crate::element::Element;
use crate::geometry::GeometryError;
use crate::layout::{gather_channels_last, Extents, Layout};

/// Refuses a buffer whose length is not exactly `expected`.
pub fn check_len(name: &'static str, len: usize, expected: usize) -> Result<(), GeometryError> {
    if len == expected {
        Ok(())
    } else {
        Err(GeometryError::Buffer {
            name,
            len,
            expected,
        })
    }
}

pub fn check_span(
    name: &'static str,
    len: usize,
    l: Layout,
    e: Extents,
) -> Result<(), GeometryError> {
    let span = l.span(e)?;
    if len < span {
        Err(GeometryError::Buffer {
            name,
            len,
            expected: span,
        })
    } else {
        Ok(())
    }
}

/// Refuses an output buffer that is too short, or whose layout maps two elements to one place
/// (tasks on several threads write disjoint elements only if the layout is one-to-one).
pub fn check_output(
    name: &'static str,
    len: usize,
    l: Layout,
    e: Extents,
) -> Result<(), GeometryError> {
    check_span(name, len, l, e)?;
    if l.is_one_to_one(e) {
        Ok(())
    } else {
        Err(GeometryError::Overlap { name })
    }
}

/// Runs `f` on a channels-last view of the tensor `x` laid out as `l`.
pub fn with_channels_last_in<T: Element, R>(
    name: &'static str,
    x: &[T],
    l: Layout,
    e: Extents,
    f: impl FnOnce(&[T]) -> R,
) -> Result<R, GeometryError> {
    check_span(name, x.len(), l, e)?;
    if l == Layout::channels_last(e) {
        Ok(f(&x[..e.len()]))
    } else {
        Ok(f(&gather_channels_last(x, l, e)))
    }
}
