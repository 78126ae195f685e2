//! Where each element of an activation tensor lives: element strides for the batch, the
//! three spatial axes and the channel. Any label order of a column-major dlarray is such a
//! strided view; the fast kernels want channels-last and convert at the boundary.

use crate::geometry::{checked_len, GeometryError};

/// Element strides of a 5-D activation tensor `(n, s0, s1, s2, c)`, and the offset of its
/// first element (non-zero for a part of a larger buffer, e.g. one slab of a staged copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub n: usize,
    pub s: [usize; 3],
    pub c: usize,
    pub origin: usize,
}

/// The logical extents of an activation tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extents {
    pub batch: usize,
    pub spatial: [usize; 3],
    pub channels: usize,
}

impl Extents {
    pub fn len(&self) -> usize {
        self.batch * self.channels * self.spatial.iter().product::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Layout {
    /// Channels fastest, then `s0, s1, s2`, then batch: column-major `[C S S S B]`, i.e.
    /// row-major NDHWC. The kernels' own layout.
    pub fn channels_last(e: Extents) -> Self {
        let [n0, n1, n2] = e.spatial;
        let c = e.channels;
        Self {
            c: 1,
            s: [c, c * n0, c * n0 * n1],
            n: c * n0 * n1 * n2,
            origin: 0,
        }
    }

    /// `s0` fastest, then `s1, s2`, channel, batch: column-major `[S S S C B]`, i.e.
    /// row-major NCDHW.
    pub fn channels_first(e: Extents) -> Self {
        let [n0, n1, n2] = e.spatial;
        let v = n0 * n1 * n2;
        Self {
            s: [1, n0, n0 * n1],
            c: v,
            n: v * e.channels,
            origin: 0,
        }
    }

    /// Builds the strides of a column-major array whose dimensions hold, in memory order,
    /// the roles given by `order` (0..3 spatial, 3 channel, 4 batch) with sizes `e`.
    pub fn column_major(e: Extents, order: [u8; 5]) -> Result<Self, LayoutError> {
        let mut seen = [false; 5];
        let mut strides = [0usize; 5];
        let sizes = [
            e.spatial[0],
            e.spatial[1],
            e.spatial[2],
            e.channels,
            e.batch,
        ];
        let mut acc = 1usize;
        for &role in &order {
            let r = role as usize;
            if r >= 5 || seen[r] {
                return Err(LayoutError::Order(order));
            }
            seen[r] = true;
            strides[r] = acc;
            acc = acc.checked_mul(sizes[r]).ok_or(LayoutError::TooLarge)?;
        }
        Ok(Self {
            s: [strides[0], strides[1], strides[2]],
            c: strides[3],
            n: strides[4],
            origin: 0,
        })
    }

    /// One past the largest element offset the layout reaches for extents `e`.
    pub fn span(&self, e: Extents) -> Result<usize, GeometryError> {
        if e.is_empty() {
            return Ok(0);
        }
        let last = [
            (self.n, e.batch),
            (self.s[0], e.spatial[0]),
            (self.s[1], e.spatial[1]),
            (self.s[2], e.spatial[2]),
            (self.c, e.channels),
        ]
        .iter()
        .try_fold(self.origin, |acc, &(st, n)| {
            checked_len("a tensor stride", &[st, n - 1])
                .ok()
                .and_then(|v| acc.checked_add(v))
        })
        .ok_or(GeometryError::TooLarge {
            what: "a tensor stride",
        })?;
        Ok(last + 1)
    }

    /// Whether distinct elements of extents `e` have distinct offsets: sorted by stride, each
    /// dimension longer than 1 steps past everything the faster ones reach.
    pub fn is_one_to_one(&self, e: Extents) -> bool {
        let mut dims = [
            (self.n, e.batch),
            (self.s[0], e.spatial[0]),
            (self.s[1], e.spatial[1]),
            (self.s[2], e.spatial[2]),
            (self.c, e.channels),
        ];
        dims.sort_unstable();
        let mut reach = 0usize;
        for (stride, n) in dims {
            if n > 1 {
                if stride <= reach {
                    return false;
                }
                reach = match stride.checked_mul(n - 1).and_then(|v| v.checked_add(reach)) {
                    Some(v) => v,
                    None => return false,
                };
            }
        }
        true
    }

    /// Flat offset of element `(n, i, c)`.
    #[inline]
    pub fn offset(&self, n: usize, i: [usize; 3], c: usize) -> usize {
        self.origin
            + n * self.n
            + i[0] * self.s[0]
            + i[1] * self.s[1]
            + i[2] * self.s[2]
            + c * self.c
    }
}

/// A layout that cannot describe a tensor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutError {
    Order([u8; 5]),
    TooLarge,
}

impl core::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Order(o) => write!(f, "dimension order {o:?} is not a permutation of 0..5"),
            Self::TooLarge => write!(f, "tensor is too large for this address space"),
        }
    }
}

impl std::error::Error for LayoutError {}
