//! The one source of truth for the shape of a transposed 3-D convolution: validated
//! parameters, output sizes, resolved crops and the phase tables the fast kernels walk.
//!
//! Per spatial axis an input element `i` and a filter tap `k` meet output position
//! `o = i*s + k*d - cb` (see `docs/semantics.md`); positions outside `[0, out)` are cropped away.
//! All sizes are overflow-checked in `usize`, which is 32 bits on wasm32.

use core::fmt;

/// How the uncropped output is trimmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cropping {
    /// Output length `n*s` per axis (MATLAB's `"same"`); an odd total crop puts the extra
    /// sample at the end, and when the filter is shorter than the stride the missing
    /// samples are added at the end.
    Same,
    /// Crops at the begin (top/left/front) and end (bottom/right/back) of each axis.
    /// A negative end crop pads the end (PyTorch's `output_padding`).
    Manual { begin: [i64; 3], end: [i64; 3] },
}

/// The hyperparameters of a convolution: everything but the input's size. What a packed
/// operator depends on (see `operator`); an input size then resolves it into a [`Geometry`].
/// Spatial vectors follow the order of the input's `S` labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Input channels over all groups.
    pub channels: usize,
    /// Output channels (filters) over all groups.
    pub filters: usize,
    pub groups: usize,
    pub kernel: [usize; 3],
    pub stride: [usize; 3],
    pub dilation: [usize; 3],
    pub cropping: Cropping,
    /// Samples added at the end of each axis (PyTorch's `output_padding`): each less than
    /// the axis's stride or dilation, and only with manual cropping.
    pub output_padding: [usize; 3],
}

/// One spatial axis, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Axis {
    pub input: usize,
    pub kernel: usize,
    pub stride: usize,
    pub dilation: usize,
    pub crop_begin: i64,
    pub crop_end: i64,
    pub output: usize,
}

impl Axis {
    /// `d*(k-1)+1`: the span of the dilated filter.
    pub fn effective_kernel(&self) -> usize {
        self.dilation * (self.kernel - 1) + 1
    }

    /// The input index that tap `k` reads for output `o`, if any: `(o + cb - k*d) / s`
    /// when that divides exactly and lands inside the input.
    pub fn input_for(&self, o: usize, k: usize) -> Option<usize> {
        let t = o as i64 + self.crop_begin - (k * self.dilation) as i64;
        let s = self.stride as i64;
        if t < 0 || t % s != 0 || t / s >= self.input as i64 {
            None
        } else {
            Some((t / s) as usize)
        }
    }

    /// The output index that input `i` and tap `k` write, if it survives the crop.
    pub fn output_for(&self, i: usize, k: usize) -> Option<usize> {
        let o = (i * self.stride + k * self.dilation) as i64 - self.crop_begin;
        (o >= 0 && o < self.output as i64).then_some(o as usize)
    }

    /// The inputs `i` whose output `i*s + k*d - cb` for tap `k` survives the crop.
    pub fn inputs_for_tap(&self, k: usize) -> core::ops::Range<usize> {
        let s = self.stride as i64;
        let shift = self.crop_begin - (k * self.dilation) as i64;
        // ceil(v / s) for any sign of v.
        let ceil_div = |v: i64| -((-v).div_euclid(s));
        let lo = ceil_div(shift).clamp(0, self.input as i64);
        let hi = ceil_div(self.output as i64 + shift).clamp(lo, self.input as i64);
        lo as usize..hi as usize
    }

    /// The output phases along this axis that some tap reaches, in the order of their
    /// residues: every output `o` belongs to residue `(o + cb) mod s`, whose outputs `first,
    /// first+s, ...` read consecutive inputs for each of the residue's taps. Residues that no
    /// tap reaches (a filter shorter than the stride) hold outputs that are their bias alone,
    /// and have no entry: the list has at most `kernel` phases, whatever the stride. A phase
    /// may hold no outputs.
    pub fn phases(&self) -> Vec<Phase> {
        let s = self.stride as i64;
        let residue = |k: usize| ((k * self.dilation) as i64).rem_euclid(s);
        let mut residues: Vec<i64> = (0..self.kernel).map(residue).collect();
        residues.sort_unstable();
        residues.dedup();
        residues
            .into_iter()
            .map(|r| {
                let first = (r - self.crop_begin).rem_euclid(s) as usize;
                let count = self.output.saturating_sub(first).div_ceil(self.stride);
                let taps = (0..self.kernel)
                    .filter(|&k| residue(k) == r)
                    .map(|k| {
                        // Exact: (first + cb - k*d) is a multiple of s by the phase choice.
                        let base =
                            (first as i64 + self.crop_begin - (k * self.dilation) as i64) / s;
                        PhaseTap { k, base }
                    })
                    .collect();
                Phase { first, count, taps }
            })
            .collect()
    }

    /// Whether some outputs lie in residues that no tap reaches (see [`Axis::phases`]).
    pub fn has_bias_only_outputs(&self) -> bool {
        let covered: usize = self.phases().iter().map(|p| p.count).sum();
        covered < self.output
    }
}

/// Outputs `first + j*stride` for `j < count`, and the taps that reach them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    pub first: usize,
    pub count: usize,
    pub taps: Vec<PhaseTap>,
}

/// Tap `k` reads input `base + j` for the phase's `j`-th output (valid where in range).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseTap {
    pub k: usize,
    pub base: i64,
}

impl PhaseTap {
    /// The `j` in `0..count` whose input `base + j` lies in `0..input`.
    pub fn valid_range(&self, count: usize, input: usize) -> core::ops::Range<usize> {
        let lo = (-self.base).clamp(0, count as i64) as usize;
        let hi = (input as i64 - self.base).clamp(lo as i64, count as i64) as usize;
        lo..hi
    }
}

/// A validated convolution: every size below fits `usize` and `isize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    filter: Filter,
    pub batch: usize,
    pub channels: usize,
    pub filters: usize,
    pub groups: usize,
    pub axes: [Axis; 3],
    input_len: usize,
    output_len: usize,
    weight_len: usize,
}

/// Why parameters were refused; the message names the parameter, the value and what was
/// expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GeometryError {
    /// A count or size that must be at least 1.
    NotPositive {
        name: &'static str,
        axis: Option<usize>,
        value: usize,
    },
    /// Channels or filters not divisible by the number of groups.
    Groups {
        name: &'static str,
        value: usize,
        groups: usize,
    },
    /// A manual begin crop below zero.
    NegativeCrop { axis: usize, value: i64 },
    /// Output padding not below the axis's stride nor its dilation.
    OutputPadding {
        axis: usize,
        value: usize,
        stride: usize,
        dilation: usize,
    },
    /// Output padding with `"same"` cropping, which fixes the output length already.
    OutputPaddingSame,
    /// The crops leave no output along an axis.
    CropTooLarge {
        axis: usize,
        uncropped: usize,
        begin: i64,
        end: i64,
    },
    /// A size that does not fit the address space.
    TooLarge { what: &'static str },
    /// A buffer whose length does not match its shape.
    Buffer {
        name: &'static str,
        len: usize,
        expected: usize,
    },
    /// An output layout that maps two elements to one place.
    Overlap { name: &'static str },
    /// A buffer that memory cannot grow to hold.
    Memory { len: usize, bytes: usize },
    /// A plan made by an operator of other hyperparameters.
    Plan,
}

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPositive { name, axis: Some(a), value } => write!(
                f,
                "{name} along spatial dimension {} is {value}; expected a positive integer",
                a + 1
            ),
            Self::NotPositive { name, axis: None, value } => {
                write!(f, "{name} is {value}; expected a positive integer")
            }
            Self::Groups { name, value, groups } => write!(
                f,
                "{name} is {value}; expected a multiple of NumGroups ({groups})"
            ),
            Self::NegativeCrop { axis, value } => write!(
                f,
                "Cropping at the start of spatial dimension {} is {value}; expected a nonnegative integer",
                axis + 1
            ),
            Self::OutputPadding { axis, value, stride, dilation } => write!(
                f,
                "OutputPadding along spatial dimension {} is {value}; expected less than its Stride ({stride}) or its DilationFactor ({dilation})",
                axis + 1
            ),
            Self::OutputPaddingSame => write!(
                f,
                "OutputPadding needs manual cropping; Cropping \"same\" already fixes the output length (n*stride)"
            ),
            Self::CropTooLarge { axis, uncropped, begin, end } => write!(
                f,
                "Cropping along spatial dimension {} is {begin}+{end}; expected less than the uncropped output length {uncropped}",
                axis + 1
            ),
            Self::TooLarge { what } => {
                write!(f, "{what} is too large for this address space")
            }
            Self::Buffer { name, len, expected } => {
                write!(f, "{name} holds {len} elements; expected {expected}")
            }
            Self::Memory { len, bytes } if cfg!(target_arch = "wasm32") => write!(
                f,
                "cannot allocate {len} elements ({bytes} bytes) in WASM memory: it cannot grow \
                 that far (4 GiB at most, shared by every array and buffer)"
            ),
            Self::Memory { len, bytes } => write!(
                f,
                "cannot allocate {len} elements ({bytes} bytes): the allocator refused"
            ),
            Self::Plan => write!(
                f,
                "the plan was made for other hyperparameters than the operator's"
            ),
            Self::Overlap { name } => {
                write!(f, "{name} strides map two elements to one place; expected a one-to-one layout")
            }
        }
    }
}

impl std::error::Error for GeometryError {}

fn positive(name: &'static str, axis: Option<usize>, value: usize) -> Result<(), GeometryError> {
    if value == 0 {
        Err(GeometryError::NotPositive { name, axis, value })
    } else {
        Ok(())
    }
}

/// Multiplies sizes, refusing results past `isize::MAX / 8` so any byte offset of an f64
/// buffer of that length is representable.
pub fn checked_len(what: &'static str, factors: &[usize]) -> Result<usize, GeometryError> {
    let limit = isize::MAX as usize / 8;
    factors
        .iter()
        .try_fold(1usize, |acc, &f| acc.checked_mul(f))
        .filter(|&n| n <= limit)
        .ok_or(GeometryError::TooLarge { what })
}

impl Filter {
    /// Refuses hyperparameters that describe no convolution: sizes below 1, channels or
    /// filters that the groups do not divide, a negative begin crop, output padding not
    /// below the stride or dilation of its axis or with `"same"` cropping.
    pub fn validate(&self) -> Result<(), GeometryError> {
        positive("NumChannels", None, self.channels)?;
        positive("NumFilters", None, self.filters)?;
        positive("NumGroups", None, self.groups)?;
        for (name, value) in [("NumChannels", self.channels), ("NumFilters", self.filters)] {
            if !value.is_multiple_of(self.groups) {
                return Err(GeometryError::Groups {
                    name,
                    value,
                    groups: self.groups,
                });
            }
        }
        for a in 0..3 {
            positive("FilterSize", Some(a), self.kernel[a])?;
            positive("Stride", Some(a), self.stride[a])?;
            positive("DilationFactor", Some(a), self.dilation[a])?;
            self.effective_kernel(a)?;
            let value = self.output_padding[a];
            if value >= self.stride[a] && value >= self.dilation[a] {
                return Err(GeometryError::OutputPadding {
                    axis: a,
                    value,
                    stride: self.stride[a],
                    dilation: self.dilation[a],
                });
            }
            if let Cropping::Manual { begin, .. } = self.cropping {
                if begin[a] < 0 {
                    return Err(GeometryError::NegativeCrop {
                        axis: a,
                        value: begin[a],
                    });
                }
            }
        }
        if self.cropping == Cropping::Same && self.output_padding != [0; 3] {
            return Err(GeometryError::OutputPaddingSame);
        }
        self.weight_len().map(|_| ())
    }

    /// `d*(k-1)+1` along axis `a`: the span of the dilated filter.
    fn effective_kernel(&self, a: usize) -> Result<usize, GeometryError> {
        (self.kernel[a] - 1)
            .checked_mul(self.dilation[a])
            .and_then(|v| v.checked_add(1))
            .filter(|&v| v <= i64::MAX as usize / 4)
            .ok_or(GeometryError::TooLarge {
                what: "the output size",
            })
    }

    /// The crops `(begin, end)` of each axis, output padding taken off the end (a negative end
    /// crop pads). They do not depend on the input's size: `"same"` crops `ke - s` in all,
    /// the odd sample at the end, and a filter shorter than the stride (`ke < s`) gets the
    /// missing samples appended at the end. Call on validated hyperparameters.
    pub fn crops(&self) -> [(i64, i64); 3] {
        core::array::from_fn(|a| {
            let ke = self.dilation[a] * (self.kernel[a] - 1) + 1;
            match self.cropping {
                Cropping::Same => {
                    let total = ke as i64 - self.stride[a] as i64;
                    if total >= 0 {
                        (total / 2, total - total / 2)
                    } else {
                        (0, total)
                    }
                }
                Cropping::Manual { begin, end } => {
                    (begin[a], end[a] - self.output_padding[a] as i64)
                }
            }
        })
    }

    /// The weights' size, column-major: `[k0 k1 k2 F/g C/g g]`.
    pub fn weight_shape(&self) -> [usize; 6] {
        weight_shape(self.kernel, self.channels, self.filters, self.groups)
            .expect("validated hyperparameters")
    }

    pub fn channels_per_group(&self) -> usize {
        self.channels / self.groups
    }

    pub fn filters_per_group(&self) -> usize {
        self.filters / self.groups
    }

    /// Filter taps per (filter, channel) pair.
    pub fn taps(&self) -> usize {
        self.kernel.iter().product()
    }

    /// Column-major flat index of weight `W(k0,k1,k2, f, c, g)` with `f`, `c` local to the group.
    pub fn weight_index(&self, k: [usize; 3], f: usize, c: usize, g: usize) -> usize {
        let [k0, k1, k2] = self.kernel;
        k[0] + k0
            * (k[1]
                + k1 * (k[2]
                    + k2 * (f + self.filters_per_group() * (c + self.channels_per_group() * g))))
    }

    /// Axis `a`'s output phases and their taps (see [`Axis::phases`]), each holding no
    /// outputs yet: which outputs a phase holds depends on the input's length, its taps and
    /// their inputs' offsets do not.
    pub fn phases(&self, a: usize) -> Vec<Phase> {
        let axis = Axis {
            input: 0,
            kernel: self.kernel[a],
            stride: self.stride[a],
            dilation: self.dilation[a],
            crop_begin: self.crops()[a].0,
            crop_end: 0,
            output: 0,
        };
        axis.phases()
    }

    /// Elements of the weights.
    pub fn weight_len(&self) -> Result<usize, GeometryError> {
        let shape = weight_shape(self.kernel, self.channels, self.filters, self.groups)?;
        checked_len("the weights", &shape)
    }
}

/// The weights' size `[k0 k1 k2 F/g C/g g]` (column-major) of a filter of size `kernel` from
/// `channels` to `filters` in `groups` groups, which must divide both.
pub fn weight_shape(
    kernel: [usize; 3],
    channels: usize,
    filters: usize,
    groups: usize,
) -> Result<[usize; 6], GeometryError> {
    positive("NumGroups", None, groups)?;
    for (name, value) in [("NumChannels", channels), ("NumFilters", filters)] {
        if !value.is_multiple_of(groups) {
            return Err(GeometryError::Groups {
                name,
                value,
                groups,
            });
        }
    }
    let [k0, k1, k2] = kernel;
    Ok([k0, k1, k2, filters / groups, channels / groups, groups])
}

/// Axis `a` of `f` for inputs of length `n`.
fn resolve_axis(f: &Filter, n: usize, a: usize) -> Result<Axis, GeometryError> {
    positive("input size", Some(a), n)?;
    let s = f.stride[a];
    let too_large = GeometryError::TooLarge {
        what: "the output size",
    };
    let uncropped = (n - 1)
        .checked_mul(s)
        .and_then(|v| v.checked_add(f.effective_kernel(a).ok()?))
        .filter(|&v| v <= i64::MAX as usize / 2)
        .ok_or(too_large.clone())?;
    let (cb, ce) = f.crops()[a];
    let out = (uncropped as i64)
        .checked_sub(cb)
        .and_then(|v| v.checked_sub(ce))
        .ok_or(too_large.clone())?;
    if out < 1 {
        return Err(GeometryError::CropTooLarge {
            axis: a,
            uncropped,
            begin: cb,
            end: ce,
        });
    }
    let output = usize::try_from(out).map_err(|_| too_large)?;
    Ok(Axis {
        input: n,
        kernel: f.kernel[a],
        stride: s,
        dilation: f.dilation[a],
        crop_begin: cb,
        crop_end: ce,
        output,
    })
}

impl Geometry {
    /// Validates the hyperparameters and the input's size (`batch`, and the length of each
    /// spatial axis in the order of the `S` labels) and resolves crops and output sizes.
    pub fn new(filter: &Filter, batch: usize, input: [usize; 3]) -> Result<Self, GeometryError> {
        positive("batch size", None, batch)?;
        filter.validate()?;
        let axes = [
            resolve_axis(filter, input[0], 0)?,
            resolve_axis(filter, input[1], 1)?,
            resolve_axis(filter, input[2], 2)?,
        ];
        let input_len = checked_len(
            "the input",
            &[batch, filter.channels, input[0], input[1], input[2]],
        )?;
        let output_len = checked_len(
            "the output",
            &[
                batch,
                filter.filters,
                axes[0].output,
                axes[1].output,
                axes[2].output,
            ],
        )?;
        Ok(Self {
            filter: *filter,
            batch,
            channels: filter.channels,
            filters: filter.filters,
            groups: filter.groups,
            axes,
            input_len,
            output_len,
            weight_len: filter.weight_len()?,
        })
    }

    /// The hyperparameters this geometry resolves.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    pub fn channels_per_group(&self) -> usize {
        self.channels / self.groups
    }

    pub fn filters_per_group(&self) -> usize {
        self.filters / self.groups
    }

    /// Elements of the input `X`.
    pub fn input_len(&self) -> usize {
        self.input_len
    }

    /// Elements of the output `Y`.
    pub fn output_len(&self) -> usize {
        self.output_len
    }

    /// Elements of the weights `[k0 k1 k2 F/g C/g g]`.
    pub fn weight_len(&self) -> usize {
        self.weight_len
    }

    pub fn input_size(&self) -> [usize; 3] {
        self.axes.map(|a| a.input)
    }

    pub fn output_size(&self) -> [usize; 3] {
        self.axes.map(|a| a.output)
    }

    pub fn kernel_size(&self) -> [usize; 3] {
        self.axes.map(|a| a.kernel)
    }

    /// Filter taps per (filter, channel) pair.
    pub fn taps(&self) -> usize {
        self.axes.iter().map(|a| a.kernel).product()
    }

    /// Column-major flat index of weight `W(k0,k1,k2, f, c, g)` with `f`, `c` local to the group.
    pub fn weight_index(&self, k: [usize; 3], f: usize, c: usize, g: usize) -> usize {
        self.filter.weight_index(k, f, c, g)
    }

    /// Multiply-adds of the operation, doubled: `2*N*Cin*(Cout/g)*taps*input voxels`.
    pub fn flops(&self) -> f64 {
        2.0 * self.batch as f64
            * self.channels as f64
            * self.filters_per_group() as f64
            * self.taps() as f64
            * self.input_size().iter().product::<usize>() as f64
    }
}
