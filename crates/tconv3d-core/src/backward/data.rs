//! `dX`: an ordinary strided, dilated correlation of `dY` with `W` (no flip), run as an
//! implicit GEMM over output rows of `dX` like the forward pass (rows whose taps along axis 0
//! all survive the crop read them as one run of channels-last `dY`).

use crate::geometry::{checked_len, Filter, Geometry, GeometryError};
use crate::kernels::{igemm_live, partial_sums, tiles_per_block, ARow, Kernel, K_BLOCK, MR, NR};
use crate::layout::Layout;
use crate::nonfinite::NonFinite;
use crate::parallel::{for_each_index_with, task_count, SharedOut};

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
    /// Rows read a unit of `unit` taps along axis 0 as one run of `dY` (see `DataSplit::new`).
    merge: bool,
    unit: usize,
    /// Taps over `unit`: the units of a row's whole sum.
    units: usize,
    /// Units per block of a sum (about `K_BLOCK` steps).
    block_units: usize,
    /// Tiles per block: as many as keep one block of units' A rows in cache.
    block_tiles: usize,
    /// Rows of few values are packed per block (see `DataSplit::new`).
    pack: bool,
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
        let fg = geo.filters_per_group();
        // Undilated taps along axis 0 read consecutive outputs: with `dense_axis0`, a row's
        // K0 taps of axis 0 read one run of K0*fg values, and rows whose K0 outputs all
        // survive the crop merge them into one A row of that length (the packing's order
        // already matches), K0 times fewer rows. Sums then go in units of K0 taps.
        let merge = a0.kernel > 1 && a0.dilation == 1 && dense_axis0;
        let unit = if merge { a0.kernel } else { 1 };
        let units = geo.taps() / unit;
        // Long sums go in blocks of about K_BLOCK steps (see `K_BLOCK`), whole units; tiles go
        // in blocks of as many as keep one block's A rows in cache, which share each weight
        // panel's slice while it is in cache.
        let block_units = (K_BLOCK / (unit * fg)).clamp(1, units);
        let block_tiles = tiles_per_block(block_units * unit * fg, core::mem::size_of::<T>());
        // A row of few values (one filter: K0 of them) costs the tile a pointer setup per few
        // multiply-adds: such a block's rows are packed once, step by step in the order of
        // the packed weights (MR values a step, zeros for cropped taps), and every panel runs
        // them as one long sum.
        let pack = unit * fg < NR;
        // dX positions ordered (n, i2, i1, i0), i0 fastest, in tiles of MR; tasks take a
        // range of tiles of one group and a range of panels. Every task reads its panels'
        // weights whole, so tiles are split only down to a block, then panels (few voxels and
        // many weights would otherwise read all weights once per task).
        let tiles = (geo.input_len() / geo.channels).div_ceil(MR);
        let want = task_count(tiles * geo.groups * w.panels);
        let per_task = (tiles * geo.groups)
            .div_ceil(want)
            .max(block_tiles)
            .min(tiles);
        let chunks = tiles.div_ceil(per_task);
        let panel_parts = (want / (geo.groups * chunks)).clamp(1, w.panels);
        let per_part = w.panels.div_ceil(panel_parts);
        Self {
            dense_axis0,
            merge,
            unit,
            units,
            block_units,
            block_tiles,
            pack,
            per_task,
            chunks,
            panel_parts: w.panels.div_ceil(per_part),
            per_part,
        }
    }
}

/// A `dX` task's buffers, kept across the tasks one worker runs in a row (see
/// [`for_each_index_with`]): A rows of a block (and their packed values), and per tile whether
/// it merged, its rows' dX offsets, positions and real rows; the block's taps.
struct DataScratch<T> {
    a: Vec<ARow<T>>,
    packed_a: Vec<T>,
    merged: Vec<bool>,
    x_at: Vec<[usize; MR]>,
    pos: Vec<[(usize, [usize; 3]); MR]>,
    mrs: Vec<usize>,
    taps: Vec<(usize, [usize; 3])>,
}

// By hand: a derived `Default` would ask for `T: Default`.
impl<T> Default for DataScratch<T> {
    fn default() -> Self {
        Self {
            a: Vec::new(),
            packed_a: Vec::new(),
            merged: Vec::new(),
            x_at: Vec::new(),
            pos: Vec::new(),
            mrs: Vec::new(),
            taps: Vec::new(),
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

    fn run_strided(
        &self,
        geo: &Geometry,
        split: &DataSplit,
        dy: &[T],
        yl: Layout,
        dx: &mut [T],
        xl: Layout,
    ) {
        let [a0, a1, a2] = geo.axes;
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        // Taps whose output is cropped away read this zero with step 0: no branch in the tile.
        let zero = [T::ZERO];
        let nt = geo.taps();
        let DataSplit {
            dense_axis0: _,
            merge,
            unit,
            units,
            block_units,
            block_tiles: mb,
            pack,
            per_task,
            chunks,
            panel_parts,
            per_part,
        } = *split;
        let m = geo.input_len() / geo.channels;
        let tiles = m.div_ceil(MR);
        let out = SharedOut(dx.as_mut_ptr());
        for_each_index_with(
            geo.groups * chunks * panel_parts,
            DataScratch::default,
            |s, task| {
                let zero_row = ARow {
                    ptr: zero.as_ptr(),
                    step: 0,
                };
                let (g, chunk) = (task / (chunks * panel_parts), task / panel_parts % chunks);
                let panels = task % panel_parts * per_part
                    ..((task % panel_parts + 1) * per_part).min(self.panels);
                // A rows of one block of units for every tile of the block (a merged tile's
                // first `block_units` rows, one per unit; another's one per tap): built per block,
                // so that many taps take no more workspace than `block_units` of them. Every entry is set
                // before it is read; only the lengths matter.
                let DataScratch {
                    a,
                    packed_a,
                    merged,
                    x_at,
                    pos,
                    mrs,
                    taps,
                } = s;
                a.resize(mb * block_units * unit * MR, zero_row);
                packed_a.resize(
                    if pack {
                        mb * block_units * unit * fg * MR
                    } else {
                        0
                    },
                    T::ZERO,
                );
                merged.resize(mb, false);
                x_at.resize(mb, [0; MR]);
                // Per row: batch item and dX position, rows past `mr` repeating the last real one
                // (computed, never stored).
                pos.resize(mb, [(0, [0; 3]); MR]);
                mrs.resize(mb, 0);
                let task_tiles = chunk * per_task..((chunk + 1) * per_task).min(tiles);
                for first in task_tiles.clone().step_by(mb) {
                    let block_tiles = first..(first + mb).min(task_tiles.end);
                    for (bi, tile) in block_tiles.clone().enumerate() {
                        let mr = MR.min(m - tile * MR);
                        mrs[bi] = mr;
                        merged[bi] = merge
                            && (tile * MR..tile * MR + mr).all(|mi| {
                                let i0 = mi % a0.input;
                                a0.output_for(i0, 0).is_some()
                                    && a0.output_for(i0, a0.kernel - 1).is_some()
                            });
                        for row in 0..MR {
                            let mi = tile * MR + row.min(mr - 1);
                            let i = [
                                mi % a0.input,
                                mi / a0.input % a1.input,
                                mi / (a0.input * a1.input) % a2.input,
                            ];
                            let n = mi / (a0.input * a1.input * a2.input);
                            pos[bi][row] = (n, i);
                            x_at[bi][row] = xl.offset(n, i, g * cg);
                        }
                    }
                    // Blocks of units outside panels: a block's A rows stay in cache across all
                    // panels, and each panel's slice of the block is read once per block of tiles.
                    for u0 in (0..units).step_by(block_units) {
                        let u1 = (u0 + block_units).min(units);
                        // A tile's A rows in this block of units: values each and how many (a merged tile's
                        // one per unit, read on for K0*fg values; another's one per tap).
                        let sums_of = |bi: usize| {
                            if merged[bi] {
                                (unit * fg, u1 - u0)
                            } else {
                                (fg, (u1 - u0) * unit)
                            }
                        };
                        // The block's taps: position in their unit, and (k0, k1, k2).
                        taps.clear();
                        taps.extend((u0 * unit..u1 * unit).map(|tap| {
                            let k = [
                                tap % a0.kernel,
                                tap / a0.kernel % a1.kernel,
                                tap / (a0.kernel * a1.kernel),
                            ];
                            (tap % unit, k)
                        }));
                        for bi in 0..block_tiles.len() {
                            // A merged tile: one row per unit (tap k0 = 0's, read on for K0*fg
                            // values: all inside dY, since every tap of the unit survives along
                            // axis 0 and axes 1 and 2 are shared); others one per tap.
                            let per_unit = if merged[bi] { 1 } else { unit };
                            let rows = &mut a[bi * block_units * unit * MR..];
                            // A tap's dY line (offset of output 0 along axis 0) for a row at batch
                            // item n and dX position i, if the line survives the crop: shared by
                            // a tile's rows when they lie on one line, the usual case (few filters
                            // made building rows a fifth of dX).
                            let line = |n: usize, i: [usize; 3], k: [usize; 3]| match [1, 2]
                                .map(|ax| geo.axes[ax].output_for(i[ax], k[ax]))
                            {
                                [Some(o1), Some(o2)] => Some(yl.offset(n, [0, o1, o2], g * fg)),
                                _ => None,
                            };
                            let (n_first, i_first) = pos[bi][0];
                            let one_line = pos[bi].iter().all(|&(n, i)| {
                                n == n_first && i[1] == i_first[1] && i[2] == i_first[2]
                            });
                            for (t, &(_, k)) in
                                taps.iter().filter(|(r, _)| *r < per_unit).enumerate()
                            {
                                let shared = one_line.then(|| line(n_first, i_first, k));
                                for (row, &(n, i)) in pos[bi].iter().enumerate() {
                                    let at = shared.unwrap_or_else(|| line(n, i, k));
                                    rows[t * MR + row] = match (at, a0.output_for(i[0], k[0])) {
                                        (Some(at), Some(o0)) => {
                                            // SAFETY: (n, o, g*fg) is inside dY (span checked),
                                            // and so are the group's `fg` filters `yl.c` apart.
                                            let ptr = unsafe { dy.as_ptr().add(at + o0 * yl.s[0]) };
                                            ARow { ptr, step: yl.c }
                                        }
                                        _ => zero_row,
                                    };
                                }
                            }
                        }
                        if pack {
                            for bi in 0..block_tiles.len() {
                                let (kc, count) = sums_of(bi);
                                let rows = &a[bi * block_units * unit * MR..][..count * MR];
                                let dst = &mut packed_a[bi * block_units * unit * fg * MR..];
                                for (st, step_rows) in rows.chunks_exact(MR).enumerate() {
                                    for k in 0..kc {
                                        for (r, row) in step_rows.iter().enumerate() {
                                            // SAFETY: an A row holds `kc` values `step` apart (see
                                            // below), or is the zero with step 0.
                                            dst[(st * kc + k) * MR + r] =
                                                unsafe { *row.ptr.add(k * row.step) };
                                        }
                                    }
                                }
                            }
                        }
                        for cp in panels.clone() {
                            let nr = NR.min(cg - cp * NR);
                            let panel = (g * self.panels + cp) * nt * fg * NR;
                            for bi in 0..block_tiles.len() {
                                // SAFETY: tiles, groups and panels are split between tasks and
                                // the layout is one-to-one, so these dX elements are touched by
                                // this task only; each row has `nr` channels `xl.c` apart left.
                                let outs =
                                    x_at[bi].map(|at| unsafe { out.at(at + cp * NR * xl.c) });
                                let (kc, count) = sums_of(bi);
                                // SAFETY: A rows are dY rows of `kc` values `yl.c` apart (a unit's
                                // K0*fg values follow each other, see `merge`) or the zero with step
                                // 0; the panel holds `nt*fg*NR` packed weights, of which units
                                // u0..u1 are read; outputs as above, holding the previous blocks'
                                // sums.
                                let b = unsafe {
                                    self.packed.as_ptr().add(panel + u0 * unit * fg * NR)
                                };
                                let seed = (u0 == 0).then_some([[T::ZERO; NR]; MR]);
                                if pack {
                                    // The packed steps: row r at `r`, MR apart, `count*kc` of them.
                                    // One call, straight to the tile: every packed step is live,
                                    // so `igemm_live`'s search for live steps has nothing to skip.
                                    let at = packed_a[bi * block_units * unit * fg * MR..].as_ptr();
                                    let rows: [ARow<T>; MR] = core::array::from_fn(|r| ARow {
                                        // SAFETY: inside the block's packed rows.
                                        ptr: unsafe { at.add(r) },
                                        step: MR,
                                    });
                                    let seeds = match seed {
                                        Some(s) => s,
                                        // SAFETY: this task's outputs, holding the previous
                                        // blocks' sums.
                                        None => unsafe { partial_sums(&outs, xl.c, nr) },
                                    };
                                    // SAFETY: `count*kc` packed steps of MR rows and as many
                                    // steps of packed weights; outputs as above.
                                    unsafe {
                                        T::igemm(
                                            count * kc,
                                            1,
                                            &rows,
                                            b,
                                            &seeds,
                                            &outs,
                                            xl.c,
                                            mrs[bi],
                                            nr,
                                        )
                                    };
                                    continue;
                                }
                                let rows = &a[bi * block_units * unit * MR..][..count * MR];
                                // SAFETY: as above.
                                unsafe {
                                    igemm_live(
                                        kc,
                                        rows,
                                        zero_row.ptr,
                                        b,
                                        seed,
                                        &outs,
                                        xl.c,
                                        mrs[bi],
                                        nr,
                                    )
                                };
                            }
                        }
                    }
                }
            },
        );
    }
}
