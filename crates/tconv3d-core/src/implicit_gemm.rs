//! The implicit-GEMM tile driver shared by the forward pass and `dX`: output rows in tiles of
//! `MR`, each row a sum over taps of `kc` values of the A buffer (read in place, no im2col)
//! times a packed weight panel of `NR` columns. A pass supplies its rows through a
//! [`RowSource`]: where a row's outputs lie, which line and element of A a tap reads, and the
//! packed panels; the driver cuts the sums ([`SumCut`]), gathers A rows, accumulates and
//! stores.

use core::ops::Range;

use crate::kernels::{igemm_live, partial_sums, tiles_per_block, ARow, Kernel, K_BLOCK, MR, NR};
use crate::parallel::{for_each_index_with, SharedOut};

/// A row's batch item and its position on its pass's grid of rows ([`RowSource::grid`]).
pub(crate) type Pos = (usize, [usize; 3]);

/// One weight panel of a task: the seeds of its first block of sums, its packed weights
/// (`[tap][kc][NR]`, taps `t0` fastest) and how many of its `NR` columns are real.
pub(crate) struct Panel<T> {
    pub seed: [T; NR],
    pub weights: *const T,
    pub width: usize,
}

/// Where one pass's rows read and write, for one task.
///
/// # Safety
/// Implementors promise, for every row of the grid and every tap: `out_at` plus
/// `width` columns `out_step` apart past `p * NR * out_step` (panel `p`) lie inside the output
/// buffer, and no other task of the same run writes them; a `Some` of `line` plus a `Some` of
/// `along0` is an element of the A buffer followed by `kc` values `a_step` apart (and, when the
/// cut merges, by `unit * kc` values for a row all of whose unit's taps are `Some`);
/// `panel(p).weights` holds `taps * kc * NR` values.
pub(crate) unsafe trait RowSource<T> {
    /// Extents of the grid of rows along axes 0 to 2; rows are numbered `(n, j2, j1, j0)`,
    /// `j0` fastest.
    fn grid(&self) -> [usize; 3];
    /// Offset in the output of the first value of the row at `pos`.
    fn out_at(&self, pos: Pos) -> usize;
    /// Offset in A of element 0 along axis 0 of the line that taps `t` (along axes 1 and 2)
    /// read for rows of batch item `n` at `j` (along axes 1 and 2); `None` when outside.
    fn line(&self, n: usize, j: [usize; 2], t: [usize; 2]) -> Option<usize>;
    /// Offset along axis 0 that tap `t0` reads for a row at `j0`; `None` when outside.
    fn along0(&self, j0: usize, t0: usize) -> Option<usize>;
    /// Seeds, weights and width of panel `p`.
    fn panel(&self, p: usize) -> Panel<T>;
}

/// How a task's sums are cut, shared by its tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SumCut {
    /// Values of A per tap.
    kc: usize,
    /// Taps along each axis (axis 0 fastest in the packed panels).
    taps: [usize; 3],
    /// Taps per unit: all of axis 0's when a row may read them as one run of A, else 1.
    unit: usize,
    /// Units of a row's whole sum.
    units: usize,
    /// Units per block of a sum (about `K_BLOCK` steps).
    block_units: usize,
    /// Tiles per block: as many as keep one block of units' A rows in cache.
    block_tiles: usize,
    /// Rows of few values are packed per block (see [`SumCut::new`]).
    pack: bool,
}

impl SumCut {
    /// The cut for rows of `kc` values per tap over `taps` of `T`. With `merge` (the taps
    /// along axis 0 read consecutive elements of A along axis 0, and an element's `kc`
    /// values are followed by the next element's), a row whose taps along axis 0 are all
    /// inside reads them as one A row of `taps[0] * kc` values (the packing's order
    /// matches), `taps[0]` times fewer rows; sums then go in units of `taps[0]` taps.
    /// `pack_short` lets rows of fewer than `NR` values be packed (see `pack`).
    pub(crate) fn new<T>(kc: usize, taps: [usize; 3], merge: bool, pack_short: bool) -> Self {
        let unit = if merge && taps[0] > 1 { taps[0] } else { 1 };
        let units = taps.iter().product::<usize>() / unit;
        // Long sums go in blocks of about K_BLOCK steps (see `K_BLOCK`), whole units; tiles
        // go in blocks of as many as keep one block's A rows in cache, which share each
        // weight panel's slice while it is in cache.
        let block_units = (K_BLOCK / (unit * kc)).clamp(1, units);
        let block_tiles = tiles_per_block(block_units * unit * kc, core::mem::size_of::<T>());
        Self {
            kc,
            taps,
            unit,
            units,
            block_units,
            block_tiles,
            // A row of few values costs the tile a pointer setup per few multiply-adds: such
            // a block's rows are packed once, step by step in the order of the packed weights
            // (MR values a step, zeros for taps outside), and every panel runs them as one
            // long sum.
            pack: pack_short && unit * kc < NR,
        }
    }

    /// Tiles per block (see `block_tiles`): a task wants at least that many.
    pub(crate) fn block_tiles(&self) -> usize {
        self.block_tiles
    }

    /// A rows of one tile in one block of units.
    fn rows_per_tile(&self) -> usize {
        self.block_units * self.unit * MR
    }
}

/// One task: its rows, the cut of their sums, its range of tiles (of `MR` rows out of
/// `rows`) and of panels.
pub(crate) struct TileTask<S> {
    pub source: S,
    pub rows: usize,
    pub cut: SumCut,
    pub tiles: Range<usize>,
    pub panels: Range<usize>,
}

/// The A buffer (`a_step` apart between a tap's values) and the output (`out_step` apart
/// between a row's columns).
pub(crate) struct Operands<'a, T> {
    a: &'a [T],
    a_step: usize,
    out: SharedOut<T>,
    out_step: usize,
}

impl<'a, T> Operands<'a, T> {
    pub(crate) fn new(a: &'a [T], a_step: usize, out: &mut [T], out_step: usize) -> Self {
        Self {
            a,
            a_step,
            out: SharedOut(out.as_mut_ptr()),
            out_step,
        }
    }
}

/// Where one tile's rows lie: its real rows, whether it merges, and per row (past `mr` the
/// last real row again: computed, never stored) its position and output offset.
#[derive(Clone, Copy, Default)]
struct Tile {
    mr: usize,
    merged: bool,
    pos: [Pos; MR],
    out_at: [usize; MR],
}

/// A task's buffers, kept across the tasks one worker runs in a row (see
/// [`for_each_index_with`]): A rows of a block of tiles (and their packed values), and the
/// block's tiles.
struct Scratch<T> {
    a: Vec<ARow<T>>,
    packed_a: Vec<T>,
    tiles: Vec<Tile>,
}

// By hand: a derived `Default` would ask for `T: Default`.
impl<T> Default for Scratch<T> {
    fn default() -> Self {
        Self {
            a: Vec::new(),
            packed_a: Vec::new(),
            tiles: Vec::new(),
        }
    }
}

/// Runs `count` tasks made by `task`; every row of every task's tiles is written.
///
/// # Safety
/// `ops` are the buffers that the tasks' sources describe (see [`RowSource`]).
pub(crate) unsafe fn run_tiles<T: Kernel, S: RowSource<T>>(
    ops: &Operands<'_, T>,
    count: usize,
    task: impl Fn(usize) -> TileTask<S> + Sync + Send,
) {
    // Taps outside read this zero with step 0, so the tile never branches.
    let zero = [T::ZERO];
    for_each_index_with(count, Scratch::default, |s, i| {
        // SAFETY: forwarded from the caller.
        unsafe { run_task(ops, &task(i), &zero, s) };
    });
}

/// One task, block of tiles by block of tiles.
///
/// # Safety
/// As [`run_tiles`].
unsafe fn run_task<T: Kernel, S: RowSource<T>>(
    ops: &Operands<'_, T>,
    task: &TileTask<S>,
    zero: &[T; 1],
    s: &mut Scratch<T>,
) {
    let cut = task.cut;
    let zero_row = ARow {
        ptr: zero.as_ptr(),
        step: 0,
    };
    let per_tile = cut.rows_per_tile();
    // Every entry is set for a tile before it is read; only the lengths matter.
    s.a.resize(cut.block_tiles * per_tile, zero_row);
    let packed_len = if cut.pack { per_tile * cut.kc } else { 0 };
    s.packed_a.resize(cut.block_tiles * packed_len, T::ZERO);
    s.tiles.resize(cut.block_tiles, Tile::default());
    for first in task.tiles.clone().step_by(cut.block_tiles) {
        let block = first..(first + cut.block_tiles).min(task.tiles.end);
        let tiles = &mut s.tiles[..block.len()];
        for (tile, index) in tiles.iter_mut().zip(block) {
            *tile = locate(&task.source, &cut, task.rows, index);
        }
        // Blocks of units outside panels: a block's A rows stay in cache across all panels,
        // and each panel's slice of the block is read once per block of tiles.
        for u0 in (0..cut.units).step_by(cut.block_units) {
            let units = u0..(u0 + cut.block_units).min(cut.units);
            for (tile, rows) in tiles.iter().zip(s.a.chunks_exact_mut(per_tile)) {
                // SAFETY: `ops.a` is the A buffer the source describes (caller).
                unsafe { gather(ops, &task.source, &cut, tile, units.clone(), rows, zero_row) };
            }
            if cut.pack {
                for ((tile, rows), dst) in tiles
                    .iter()
                    .zip(s.a.chunks_exact(per_tile))
                    .zip(s.packed_a.chunks_exact_mut(packed_len))
                {
                    let (kc, steps) = sums_of(&cut, tile, units.len());
                    // SAFETY: the rows were gathered above: `kc` values each or the zero.
                    unsafe { pack(kc, &rows[..steps * MR], dst) };
                }
            }
            for p in task.panels.clone() {
                let panel = task.source.panel(p);
                // SAFETY: the panel holds `taps*kc*NR` weights (`RowSource`), of which units
                // from u0 on are read.
                let b = unsafe { panel.weights.add(u0 * cut.unit * cut.kc * NR) };
                let seed = (u0 == 0).then_some([panel.seed; MR]);
                for (bi, tile) in tiles.iter().enumerate() {
                    // SAFETY: these outputs are this task's only, and each row has
                    // `panel.width` columns `out_step` apart left (`RowSource`).
                    let outs = tile
                        .out_at
                        .map(|at| unsafe { ops.out.at(at + p * NR * ops.out_step) });
                    let (kc, steps) = sums_of(&cut, tile, units.len());
                    let sums = Sums {
                        kc,
                        steps,
                        b,
                        seed,
                        outs,
                        out_step: ops.out_step,
                        mr: tile.mr,
                        nr: panel.width,
                    };
                    // SAFETY: the rows were gathered (and packed) above for these units, the
                    // weights are the panel's from unit u0 on, the outputs this task's.
                    unsafe {
                        if cut.pack {
                            sums.packed(&s.packed_a[bi * packed_len..][..steps * kc * MR]);
                        } else {
                            sums.live(&s.a[bi * per_tile..][..steps * MR], zero_row);
                        }
                    }
                }
            }
        }
    }
}

/// Where tile `index` of a task of `rows` rows lies, and whether it merges: all of its real
/// rows' taps along axis 0 are inside.
fn locate<T, S: RowSource<T>>(source: &S, cut: &SumCut, rows: usize, index: usize) -> Tile {
    let mr = MR.min(rows - index * MR);
    let [g0, g1, g2] = source.grid();
    let mut tile = Tile {
        mr,
        ..Tile::default()
    };
    for row in 0..MR {
        let mi = index * MR + row.min(mr - 1);
        let j = [mi % g0, mi / g0 % g1, mi / (g0 * g1) % g2];
        let pos = (mi / (g0 * g1 * g2), j);
        tile.pos[row] = pos;
        tile.out_at[row] = source.out_at(pos);
    }
    tile.merged = cut.unit > 1
        && tile.pos[..mr].iter().all(|&(_, j)| {
            source.along0(j[0], 0).is_some() && source.along0(j[0], cut.unit - 1).is_some()
        });
    tile
}

/// A tile's A rows in a block of `units`: values each and how many (a merged tile's one per
/// unit, read on for `unit*kc` values; another's one per tap).
fn sums_of(cut: &SumCut, tile: &Tile, units: usize) -> (usize, usize) {
    if tile.merged {
        (cut.unit * cut.kc, units)
    } else {
        (cut.kc, units * cut.unit)
    }
}

/// Sets `rows[t * MR + r]` to the A row of the tile's row `r` for the `t`-th tap it reads in
/// `units`: a merged tile reads tap 0 of each unit (on for the unit's values), another every
/// tap.
///
/// # Safety
/// `ops.a` is the A buffer that `source` describes.
unsafe fn gather<T: Copy, S: RowSource<T>>(
    ops: &Operands<'_, T>,
    source: &S,
    cut: &SumCut,
    tile: &Tile,
    units: Range<usize>,
    rows: &mut [ARow<T>],
    zero_row: ARow<T>,
) {
    let [n0, n1, _] = cut.taps;
    let reach0 = if tile.merged { 1 } else { n0 };
    // A tap's line is shared by a tile's rows when they lie on one line, the usual case.
    let (n_first, j_first) = tile.pos[0];
    let one_line = tile
        .pos
        .iter()
        .all(|&(n, j)| n == n_first && j[1] == j_first[1] && j[2] == j_first[2]);
    let (start, end) = (units.start * cut.unit, units.end * cut.unit);
    let mut slot = 0;
    let mut tap = start;
    // Taps go in runs along axis 0 that share their taps along axes 1 and 2.
    while tap < end {
        let (t0, t12) = (tap % n0, tap / n0);
        let run_end = n0.min(t0 + end - tap);
        let t12 = [t12 % n1, t12 / n1];
        let shared = one_line.then(|| source.line(n_first, [j_first[1], j_first[2]], t12));
        for t0 in t0..run_end.min(reach0) {
            for (row, &(n, j)) in tile.pos.iter().enumerate() {
                let line = shared.unwrap_or_else(|| source.line(n, [j[1], j[2]], t12));
                rows[slot * MR + row] = match (line, source.along0(j[0], t0)) {
                    (Some(line), Some(at)) => ARow {
                        // SAFETY: the tap's element for this row is inside A (`RowSource`,
                        // and `ops.a` is its A buffer: caller).
                        ptr: unsafe { ops.a.as_ptr().add(line + at) },
                        step: ops.a_step,
                    },
                    _ => zero_row,
                };
            }
            slot += 1;
        }
        tap += run_end - t0;
    }
}

/// Packs a tile's A rows (`kc` values each, `MR` a step) step by step into `dst`: value `k`
/// of step `st` of row `r` at `(st * kc + k) * MR + r`.
///
/// # Safety
/// Every row holds `kc` values `step` apart, or is the zero with step 0.
unsafe fn pack<T: Copy>(kc: usize, rows: &[ARow<T>], dst: &mut [T]) {
    for (st, step_rows) in rows.chunks_exact(MR).enumerate() {
        for k in 0..kc {
            for (r, row) in step_rows.iter().enumerate() {
                // SAFETY: an A row holds `kc` values `step` apart, or is the zero with step 0
                // (caller).
                dst[(st * kc + k) * MR + r] = unsafe { *row.ptr.add(k * row.step) };
            }
        }
    }
}

/// One tile's sums with one panel over one block of units.
struct Sums<T> {
    kc: usize,
    steps: usize,
    /// The panel's weights of the block's first unit.
    b: *const T,
    /// `None`: the outputs hold the previous blocks' sums.
    seed: Option<[[T; NR]; MR]>,
    outs: [*mut T; MR],
    out_step: usize,
    mr: usize,
    nr: usize,
}

impl<T: Kernel> Sums<T> {
    /// Over A rows read in place, skipping steps whose rows all read the zero.
    ///
    /// # Safety
    /// `rows` are `steps` steps of `MR` A rows of `kc` values or the zero with step 0, `b`
    /// holds `steps*kc*NR` weights, and the outputs have `nr` columns `out_step` apart that
    /// no other task touches, holding the previous blocks' sums when unseeded.
    unsafe fn live(&self, rows: &[ARow<T>], zero_row: ARow<T>) {
        // SAFETY: forwarded from the caller.
        unsafe {
            igemm_live(
                self.kc,
                rows,
                zero_row.ptr,
                self.b,
                self.seed,
                &self.outs,
                self.out_step,
                self.mr,
                self.nr,
            )
        };
    }

    /// Over the tile's packed rows (row `r` at `r`, `MR` apart), in one call straight to the
    /// tile: every packed step is live, so `igemm_live`'s search for live steps has nothing
    /// to skip.
    ///
    /// # Safety
    /// `values` holds `steps*kc` packed steps of `MR` values; weights and outputs as in
    /// [`Sums::live`].
    unsafe fn packed(&self, values: &[T]) {
        let at = values.as_ptr();
        let rows: [ARow<T>; MR] = core::array::from_fn(|r| ARow {
            // SAFETY: inside the tile's packed rows (`values` holds MR values a step).
            ptr: unsafe { at.add(r) },
            step: MR,
        });
        let seeds = match self.seed {
            Some(s) => s,
            // SAFETY: this task's outputs, holding the previous blocks' sums (caller).
            None => unsafe { partial_sums(&self.outs, self.out_step, self.nr) },
        };
        // SAFETY: `steps*kc` packed steps of MR rows and as many steps of packed weights
        // from `b`; outputs as in `live` (caller).
        unsafe {
            T::igemm(
                self.steps * self.kc,
                1,
                &rows,
                self.b,
                &seeds,
                &self.outs,
                self.out_step,
                self.mr,
                self.nr,
            )
        };
    }
}
