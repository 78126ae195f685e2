//! `dX`: an ordinary strided, dilated correlation of `dY` with `W` (no flip), run as an
//! implicit GEMM over output rows of `dX` like the forward pass (rows whose taps along axis 0
//! all survive the crop read them as one run of channels-last `dY`).

use crate::geometry::{checked_len, Filter, Geometry, GeometryError};
use crate::implicit_gemm::{run_tiles, Operands, Panel, Pos, RowSource, SumCut, TileTask};
use crate::kernels::{Kernel, MR, NR};
use crate::layout::Layout;
use crate::nonfinite::NonFinite;
use crate::parallel::task_count;

/// Weights packed for `dX` (they do not depend on the input's size): for each group and panel
/// of `NR` channels, `[tap][filter][NR]`.
pub(crate) struct DataWeights<T> {
    packed: Vec<T>,
    panels: usize,
    /// NaN or infinite weights, packed as zeros and added by `run` where their taps reach.
    nonfinite: NonFinite<T>,
}

/// How one input size's `dX` is cut: the sums' blocks and the tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DataSplit {
    /// The `dY` layout it was cut for: see `DataSplit::new`.
    dense_axis0: bool,
    cut: SumCut,
    /// Tiles per task, the tasks' ranges of tiles (per group), of panels and panels per range.
    per_task: usize,
    chunks: usize,
    panel_parts: usize,
    per_part: usize,
}

impl DataSplit {
    /// The split for `dY` whose voxel's filters are followed by the next voxel's along axis
    /// 0 when `dense_axis0` (channels-last, one group).
    pub(crate) fn new<T>(geo: &Geometry, w: &DataWeights<T>, dense_axis0: bool) -> Self {
        let a0 = geo.axes[0];
        // Undilated taps along axis 0 read consecutive outputs, whose filters follow each
        // other with `dense_axis0`; rows of few values (one filter) are worth packing.
        let cut = SumCut::new::<T>(
            geo.filters_per_group(),
            geo.axes.map(|a| a.kernel),
            a0.dilation == 1 && dense_axis0,
            true,
        );
        // dX positions ordered (n, i2, i1, i0), i0 fastest, in tiles of MR; tasks take a
        // range of tiles of one group and a range of panels. Every task reads its panels'
        // weights whole, so tiles are split only down to a block, then panels (few voxels and
        // many weights would otherwise read all weights once per task).
        let tiles = (geo.input_len() / geo.channels).div_ceil(MR);
        let want = task_count(tiles * geo.groups * w.panels);
        let per_task = (tiles * geo.groups)
            .div_ceil(want)
            .max(cut.block_tiles())
            .min(tiles);
        let chunks = tiles.div_ceil(per_task);
        let panel_parts = (want / (geo.groups * chunks)).clamp(1, w.panels);
        let per_part = w.panels.div_ceil(panel_parts);
        Self {
            dense_axis0,
            cut,
            per_task,
            chunks,
            panel_parts: w.panels.div_ceil(per_part),
            per_part,
        }
    }
}

impl<T: Kernel> DataWeights<T> {
    /// Packs `w` (`[k0 k1 k2 F/g C/g g]` column-major, checked) for validated hyperparameters.
    pub(crate) fn new(f: &Filter, w: &[T]) -> Result<Self, GeometryError> {
        let (w, nonfinite) = NonFinite::split(f, w);
        let (cg, fg) = (f.channels_per_group(), f.filters_per_group());
        let panels = cg.div_ceil(NR);
        let [k0n, k1n, k2n] = f.kernel;
        let len = checked_len("the packed weights", &[f.groups, panels, f.taps(), fg, NR])?;
        let mut packed = Vec::with_capacity(len);
        for g in 0..f.groups {
            for cp in 0..panels {
                for k2 in 0..k2n {
                    for k1 in 0..k1n {
                        for k0 in 0..k0n {
                            for fi in 0..fg {
                                packed.extend((0..NR).map(|q| {
                                    let c = cp * NR + q;
                                    if c < cg {
                                        w[f.weight_index([k0, k1, k2], fi, c, g)]
                                    } else {
                                        T::ZERO
                                    }
                                }));
                            }
                        }
                    }
                }
            }
        }
        Ok(Self {
            packed,
            panels,
            nonfinite,
        })
    }

    /// `dX` from `dY` for the input size of `geo`, any layouts (buffers checked by the
    /// caller), cut as `split` says when it suits `yl`; every element of `dX` inside the
    /// layout is written.
    pub(crate) fn run(
        &self,
        geo: &Geometry,
        split: &DataSplit,
        dy: &[T],
        yl: Layout,
        dx: &mut [T],
        xl: Layout,
    ) {
        let dense_axis0 = yl.s[0] == geo.filters_per_group() * yl.c;
        let own;
        let split = if split.dense_axis0 == dense_axis0 {
            split
        } else {
            own = DataSplit::new(geo, self, dense_axis0);
            &own
        };
        self.run_strided(geo, split, dy, yl, dx, xl);
        self.nonfinite.backward_data(geo, dy, yl, dx, xl);
    }

    /// `dX` in MR x NR tiles over packed weight panels, each row reading `dY` at its taps'
    /// outputs ([`GroupRows`]).
    fn run_strided(
        &self,
        geo: &Geometry,
        split: &DataSplit,
        dy: &[T],
        yl: Layout,
        dx: &mut [T],
        xl: Layout,
    ) {
        let DataSplit {
            dense_axis0: _,
            cut,
            per_task,
            chunks,
            panel_parts,
            per_part,
        } = *split;
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        let rows = geo.input_len() / geo.channels;
        let tiles = rows.div_ceil(MR);
        let ops = Operands::new(dy, yl.c, dx, xl.c);
        let task = |task: usize| {
            let (g, chunk) = (task / (chunks * panel_parts), task / panel_parts % chunks);
            let part = task % panel_parts;
            TileTask {
                source: GroupRows {
                    w: self,
                    geo,
                    g,
                    xl,
                    yl,
                    x_at: g * cg,
                    y_at: g * fg,
                    cg,
                },
                rows,
                cut,
                tiles: chunk * per_task..((chunk + 1) * per_task).min(tiles),
                panels: part * per_part..((part + 1) * per_part).min(self.panels),
            }
        };
        // SAFETY: `GroupRows` describes dY in `yl` and dX in `xl`, which `ops` are.
        unsafe { run_tiles(&ops, geo.groups * chunks * panel_parts, task) };
    }
}

/// The `dX` positions of one group as rows of the tile driver: row `(n, i)` is dX's voxel `i`,
/// and tap `k` along an axis reads its output `i*s + k*d - cb` when it survives the crop.
struct GroupRows<'a, T> {
    w: &'a DataWeights<T>,
    geo: &'a Geometry,
    g: usize,
    xl: Layout,
    yl: Layout,
    /// The group's first channel of dX and filter of dY, and its channels.
    x_at: usize,
    y_at: usize,
    cg: usize,
}

// SAFETY: tiles, groups and panels are split between tasks and `xl` is one-to-one, so a
// task's dX elements are its own, and a panel has `width` channels of the group left; a
// tap's element is output (n, o, g*fg) inside dY (span checked by `run`'s caller) with the
// group's `fg` filters `yl.c` apart, and when the split merges (undilated axis 0,
// `dense_axis0`), a unit's K0 outputs are consecutive and their filters follow each other;
// a panel holds `taps*fg*NR` packed weights.
unsafe impl<T: Kernel> RowSource<T> for GroupRows<'_, T> {
    fn grid(&self) -> [usize; 3] {
        self.geo.axes.map(|a| a.input)
    }

    fn out_at(&self, (n, i): Pos) -> usize {
        self.xl.offset(n, i, self.x_at)
    }

    fn line(&self, n: usize, i: [usize; 2], k: [usize; 2]) -> Option<usize> {
        let [_, a1, a2] = self.geo.axes;
        let o = [0, a1.output_for(i[0], k[0])?, a2.output_for(i[1], k[1])?];
        Some(self.yl.offset(n, o, self.y_at))
    }

    fn along0(&self, i0: usize, k0: usize) -> Option<usize> {
        self.geo.axes[0]
            .output_for(i0, k0)
            .map(|o| o * self.yl.s[0])
    }

    fn panel(&self, p: usize) -> Panel<T> {
        let at = (self.g * self.w.panels + p) * self.geo.taps() * self.geo.filters_per_group() * NR;
        Panel {
            seed: [T::ZERO; NR],
            weights: self.w.packed[at..].as_ptr(),
            width: NR.min(self.cg - p * NR),
        }
    }
}
