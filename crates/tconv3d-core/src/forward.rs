//! The forward pass as `s0*s1*s2` dense sub-convolutions (phase decomposition): within a
//! phase, consecutive outputs along the fastest axis read consecutive inputs for each tap,
//! so every output row is an implicit GEMM over (taps of the phase) x (channels of the
//! group). Every output element is written exactly once, seeded with its bias; no col2im
//! buffer, no zero-insertion.
//!
//! Two drivers: MR x NR tiles of (outputs, filters) over packed weight panels (any input
//! layout), and, for fewer than `LANES_BELOW_FILTERS` filters on the plan's own input layout
//! (each input line contiguous), up to `LANE_ROWS` outputs of one input line in SIMD lanes
//! per call. Tasks split the outputs down to a cache block of tiles, then the
//! filter panels, so every task reads its weights once.

use core::ops::Range;

use crate::geometry::{checked_len, Filter, Geometry, GeometryError, Phase, PhaseTap};
use crate::implicit_gemm::{run_tiles, Operands, Panel, Pos, RowSource, SumCut, TileTask};
use crate::kernels::{tiles_per_block, Kernel, K_BLOCK, LANES_BELOW_FILTERS, LANE_ROWS, MR, NR};
use crate::layout::{Extents, Layout};
use crate::nonfinite::NonFinite;
use crate::parallel::{for_each_index, task_count, SharedOut};
use crate::reference::{input_extents, output_extents};

/// One task of a run: group, phase triple, range of its tiles (or lines), range of panels.
type Task = (usize, [usize; 3], Range<usize>, Range<usize>);

/// Weights packed for the forward pass of one filter (they do not depend on the input's
/// size): for each group, phase triple and panel of `NR` filters, `NR` bias values then
/// `[tap][channel][NR]`.
pub(crate) struct ForwardWeights<T> {
    /// Each axis's phases that taps reach (at most `kernel` each, whatever the stride), axis
    /// 0's taps in the order of the inputs they read; no outputs counted (see [`ForwardShape`]).
    phases: [Vec<Phase>; 3],
    /// NaN or infinite weights, packed as zeros and added by `run` where their taps reach.
    nonfinite: NonFinite<T>,
    /// `F` values, zeros without a bias: what outputs that no tap reaches hold.
    bias: Vec<T>,
    packed: Vec<T>,
    /// Start of each block, indexed by `block_index`.
    blocks: Vec<usize>,
    panels: usize,
    /// Few filters: output rows go in SIMD lanes, on the line layout (see `input_layout`).
    lanes: bool,
}

/// What the forward pass of one input size needs besides the weights: the phases' outputs,
/// the input layout it runs fastest on and the split of the work into tasks.
pub(crate) struct ForwardShape {
    phases: [Vec<Phase>; 3],
    /// Some outputs lie outside every phase triple (a filter shorter than the stride): `run`
    /// writes the bias over all of `Y` before the phases overwrite theirs.
    bias_only_outputs: bool,
    /// The line layout of [`ForwardShape::input_layout`] when rows go in lanes, and the
    /// length of a buffer in it.
    lines: Option<(Layout, usize)>,
    /// Tasks of the tile driver (any input layout), and of the lane driver when `lines`.
    tile_tasks: Vec<Task>,
    lane_tasks: Vec<Task>,
}

impl ForwardShape {
    /// The input layout the pass runs fastest on. Few filters put output rows in SIMD lanes,
    /// which wants each input line's channels as runs along the first spatial axis: column-
    /// major `[S0 C S1 S2 N]` (a line of all channels stays in L1, unlike channels-first
    /// whose channel stride is a whole volume). Otherwise channels-last. Callers that copy
    /// the input anyway (into WASM memory) should copy into this layout, in a buffer of
    /// [`ForwardShape::input_len`] elements.
    pub(crate) fn input_layout(&self, geo: &Geometry) -> Layout {
        self.lines
            .map_or_else(|| Layout::channels_last(input_extents(geo)), |(l, _)| l)
    }

    /// Elements of a buffer in [`ForwardShape::input_layout`]: the input's, plus, for lines,
    /// the few before the first and past the last that whole vectors read at the lines'
    /// ends (their values are ignored).
    pub(crate) fn input_len(&self, geo: &Geometry) -> usize {
        self.lines.map_or(geo.input_len(), |(_, len)| len)
    }
}

impl<T: Kernel> ForwardWeights<T> {
    /// Packs `w` (`[k0 k1 k2 F/g C/g g]` column-major, checked) and `bias` (`F` values, or
    /// none) for validated hyperparameters.
    pub(crate) fn new(f: &Filter, w: &[T], bias: Option<&[T]>) -> Result<Self, GeometryError> {
        let (w, nonfinite) = NonFinite::split(f, w);
        let mut phases: [Vec<Phase>; 3] = core::array::from_fn(|a| f.phases(a));
        // Axis 0's taps in the order of the inputs they read, so that taps reading
        // consecutive inputs can be merged into one A row (see `SumCut::new`).
        for p in &mut phases[0] {
            p.taps.sort_by_key(|t| t.base);
        }
        let (cg, fg) = (f.channels_per_group(), f.filters_per_group());
        let panels = fg.div_ceil(NR);
        // Every tap lands in exactly one phase triple, so the blocks hold taps*Cg*NR per panel.
        let phase_triples: usize = phases.iter().map(Vec::len).product();
        let len = checked_len(
            "the packed weights",
            &[f.groups, panels, f.taps() * cg + phase_triples, NR],
        )?;
        let mut packed = Vec::with_capacity(len);
        let mut blocks = Vec::with_capacity(f.groups * phase_triples * panels);
        for g in 0..f.groups {
            for p2 in &phases[2] {
                for p1 in &phases[1] {
                    for p0 in &phases[0] {
                        for fp in 0..panels {
                            blocks.push(packed.len());
                            let f_of = |q: usize| Some(fp * NR + q).filter(|&fi| fi < fg);
                            packed.extend((0..NR).map(|q| match (f_of(q), bias) {
                                (Some(fi), Some(b)) => b[g * fg + fi],
                                _ => T::ZERO,
                            }));
                            for t2 in &p2.taps {
                                for t1 in &p1.taps {
                                    for t0 in &p0.taps {
                                        for c in 0..cg {
                                            packed.extend((0..NR).map(|q| {
                                                f_of(q).map_or(T::ZERO, |fi| {
                                                    w[f.weight_index([t0.k, t1.k, t2.k], fi, c, g)]
                                                })
                                            }));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        debug_assert_eq!(packed.len(), len);
        Ok(Self {
            phases,
            nonfinite,
            bias: bias.map_or_else(|| vec![T::ZERO; f.filters], <[T]>::to_vec),
            packed,
            blocks,
            panels,
            lanes: fg < LANES_BELOW_FILTERS,
        })
    }

    /// The phases' outputs, input layout and tasks for the input size of `geo`.
    pub(crate) fn shape(&self, geo: &Geometry) -> ForwardShape {
        let mut phases = self.phases.clone();
        for (a, axis) in phases.iter_mut().zip(&geo.axes) {
            for p in a.iter_mut() {
                p.count = axis.output.saturating_sub(p.first).div_ceil(axis.stride);
            }
        }
        let cg = geo.channels_per_group();
        // Tile tasks keep at least a block of tiles of the longest phase (see
        // `tiles_per_block`).
        let max_taps: usize = phases
            .iter()
            .map(|a| a.iter().map(|p| p.taps.len()).max().unwrap_or(0))
            .product();
        let min_tiles = tiles_per_block(
            (K_BLOCK / cg).clamp(1, max_taps.max(1)) * cg,
            core::mem::size_of::<T>(),
        );
        let tile_tasks = tasks(
            geo,
            &phases,
            self.panels,
            |p| (geo.batch * p[0].count * p[1].count * p[2].count).div_ceil(MR),
            min_tiles,
        );
        // Lane tasks of 32 to 64 lines: enough work to pay for a task's set-up.
        let lane_tasks = if self.lanes {
            tasks(
                geo,
                &phases,
                self.panels,
                |p| geo.batch * p[1].count * p[2].count * usize::from(p[0].count > 0),
                32,
            )
        } else {
            Vec::new()
        };
        ForwardShape {
            lines: self.lanes.then(|| line_layout(geo, &phases[0])),
            bias_only_outputs: geo.axes.iter().any(|a| a.has_bias_only_outputs()),
            phases,
            tile_tasks,
            lane_tasks,
        }
    }

    fn block_index(&self, g: usize, p: [usize; 3], fp: usize) -> usize {
        let [n0, n1, n2] = [0, 1, 2].map(|a| self.phases[a].len());
        (((g * n2 + p[2]) * n1 + p[1]) * n0 + p[0]) * self.panels + fp
    }

    /// `Y = X (*)ᵀ W + b` for the input size of `geo` and `shape`, any layouts (buffers
    /// checked by the caller); every element of `Y` inside the layout is written.
    pub(crate) fn run(
        &self,
        geo: &Geometry,
        shape: &ForwardShape,
        x: &[T],
        xl: Layout,
        y: &mut [T],
        yl: Layout,
    ) {
        if shape.bias_only_outputs {
            fill_bias(y, yl, output_extents(geo), &self.bias);
        }
        // Lanes read whole vectors before the first line and past the last: only with the
        // slack of `input_len` (a buffer in the same layout without it goes through the
        // tiles).
        if shape.lines.is_some_and(|(l, _)| l == xl) && x.len() >= shape.input_len(geo) {
            self.run_lanes(geo, shape, x, xl, y, yl);
        } else {
            self.run_strided(geo, shape, x, xl, y, yl);
        }
        self.nonfinite.forward(geo, x, xl, y, yl);
    }

    /// Packed seeds and weights of one group, phase triple and panel.
    fn block(&self, g: usize, r: [usize; 3], fp: usize) -> (&[T; NR], *const T) {
        let at = self.blocks[self.block_index(g, r, fp)];
        let seed = self.packed[at..at + NR].try_into().expect("NR seeds");
        // SAFETY: the block's weights follow its NR seeds inside `packed`.
        (seed, unsafe { self.packed.as_ptr().add(at + NR) })
    }

    /// The outputs in MR x NR tiles over packed weight panels (any input layout), each phase
    /// triple's rows reading X at their taps' inputs ([`PhaseRows`]).
    fn run_strided(
        &self,
        geo: &Geometry,
        shape: &ForwardShape,
        x: &[T],
        xl: Layout,
        y: &mut [T],
        yl: Layout,
    ) {
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        let tasks = &shape.tile_tasks;
        let ops = Operands::new(x, xl.c, y, yl.c);
        let task = |i: usize| {
            let (g, r, ref tiles, ref panels) = tasks[i];
            let phases = [0, 1, 2].map(|a| &shape.phases[a][r[a]]);
            // Axis 0's taps (sorted by input) read consecutive inputs, and a voxel's group
            // channels are followed by the next voxel's (channels-last, one group).
            let merge = phases[0]
                .taps
                .windows(2)
                .all(|t| t[1].base == t[0].base + 1)
                && xl.s[0] == cg * xl.c;
            TileTask {
                rows: geo.batch * phases.iter().map(|p| p.count).product::<usize>(),
                // Short rows (few channels) are read in place, not packed: the narrow case
                // this pass optimises is few filters, which the lanes driver takes.
                cut: SumCut::new::<T>(cg, phases.map(|p| p.taps.len()), merge, false),
                source: PhaseRows {
                    w: self,
                    geo,
                    phases,
                    r,
                    g,
                    xl,
                    yl,
                    x_at: g * cg,
                    y_at: g * fg,
                    fg,
                },
                tiles: tiles.clone(),
                panels: panels.clone(),
            }
        };
        // SAFETY: `PhaseRows` describes X in `xl` and Y in `yl`, which `ops` are.
        unsafe { run_tiles(&ops, tasks.len(), task) };
    }

    /// Few filters on the plan's line layout: a phase's outputs along one input line are up
    /// to `LANE_ROWS` rows in SIMD lanes per call ([`Kernel::lanes`]), each filter a dot
    /// product, so a single filter wastes no lanes. A tap whose input for some rows of the
    /// call lies past the line's ends is masked off those rows (what is read there, the next
    /// line's or the slack's elements, is ignored); a tap whose whole line is outside is
    /// skipped. Work is per line, not per tile, so the set-up is paid once per line.
    fn run_lanes(
        &self,
        geo: &Geometry,
        shape: &ForwardShape,
        x: &[T],
        xl: Layout,
        y: &mut [T],
        yl: Layout,
    ) {
        let ph = &shape.phases;
        let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
        let n0 = geo.axes[0].input as i64;
        let tasks = &shape.lane_tasks;
        let out = SharedOut(y.as_mut_ptr());
        for_each_index(tasks.len(), |task| {
            let (g, r, ref lines, ref panels) = tasks[task];
            let (p0, p1, p2) = (&ph[0][r[0]], &ph[1][r[1]], &ph[2][r[2]]);
            let (mut off2, mut off1) = (Vec::new(), Vec::new());
            let nt = p0.taps.len() * p1.taps.len() * p2.taps.len();
            let mut taps = Vec::with_capacity(nt);
            let mut a = vec![core::ptr::null(); nt];
            let mut valid = vec![u16::MAX; nt];
            for line in lines.clone() {
                let j = [line % p1.count, line / p1.count % p2.count];
                let n = line / (p1.count * p2.count);
                let o = [
                    p0.first,
                    p1.first + j[0] * geo.axes[1].stride,
                    p2.first + j[1] * geo.axes[2].stride,
                ];
                along(&p2.taps, j[1], geo.axes[2].input, xl.s[2], &mut off2);
                along(&p1.taps, j[0], geo.axes[1].input, xl.s[1], &mut off1);
                let base = xl.offset(n, [0; 3], g * cg);
                // Per tap: the start of its line of channel 0 and its base along axis 0, or
                // `None` when its line is outside.
                taps.clear();
                for o2 in &off2 {
                    for o1 in &off1 {
                        taps.extend(p0.taps.iter().map(|t0| match (o2, o1) {
                            (Some(o2), Some(o1)) => Some((base + o2 + o1, t0.base)),
                            _ => None,
                        }));
                    }
                }
                let y_line = yl.offset(n, o, g * fg);
                let row_step = geo.axes[0].stride * yl.s[0];
                for j0 in (0..p0.count).step_by(LANE_ROWS) {
                    let rows = LANE_ROWS.min(p0.count - j0);
                    let mut masked = false;
                    for ((p, v), tap) in a.iter_mut().zip(valid.iter_mut()).zip(&taps) {
                        // Rows r (from j0) whose input j0 + r + b lies in the line; lanes
                        // past `rows` are never stored, so count as inside.
                        let Some((at, b)) = *tap else {
                            *p = core::ptr::null();
                            continue;
                        };
                        let first = (-b - j0 as i64).clamp(0, rows as i64) as u32;
                        let end = (n0 - b - j0 as i64).clamp(first as i64, rows as i64) as u32;
                        let bits = |k: u32| if k >= 16 { u16::MAX } else { (1u16 << k) - 1 };
                        *v = (bits(end) & !bits(first)) | !bits(rows as u32);
                        masked |= *v != u16::MAX;
                        *p = if bits(end) & !bits(first) == 0 {
                            core::ptr::null()
                        } else {
                            // SAFETY: the line's element j0 + b (before its start by at most
                            // the taps' reach, past its end by at most the rows rounded up to
                            // MR plus the reach): inside the buffer, whose slack covers both
                            // (`line_layout`; `run` checked `input_len`).
                            unsafe { x.as_ptr().offset(at as isize + j0 as isize + b as isize) }
                        };
                    }
                    let valid = if masked { &valid[..] } else { &[] };
                    for fp in panels.clone() {
                        let (seed, b) = self.block(g, r, fp);
                        // SAFETY: rows j0..j0+rows of this line, this phase and panel are this
                        // task's only (phases partition the outputs, `yl` is one-to-one).
                        let dst = unsafe { out.at(y_line + j0 * row_step + fp * NR * yl.c) };
                        // SAFETY: a non-null tap pointer is X's element for row j0 of its
                        // line; the kernel reads `rows` rounded up to MR consecutive elements
                        // from it for each of `cg` channels `xl.c` apart, inside the buffer
                        // (as above), and masks off the rows whose input is outside the line;
                        // the block holds `nt*cg*NR` weights; outputs as above.
                        unsafe {
                            T::lanes(
                                cg,
                                &a,
                                valid,
                                xl.c,
                                b,
                                seed,
                                dst,
                                row_step,
                                rows,
                                yl.c,
                                NR.min(fg - fp * NR),
                            )
                        };
                    }
                }
            }
        });
    }
}

/// The outputs of one phase triple of one group as rows of the tile driver: row `(n, j)` is
/// output `first + j*stride` along each axis, and tap `t` along an axis reads input
/// `base + j` of that axis's `t`-th tap.
struct PhaseRows<'a, T> {
    w: &'a ForwardWeights<T>,
    geo: &'a Geometry,
    phases: [&'a Phase; 3],
    r: [usize; 3],
    g: usize,
    xl: Layout,
    yl: Layout,
    /// The group's first channel of X and filter of Y, and its filters.
    x_at: usize,
    y_at: usize,
    fg: usize,
}

impl<T> PhaseRows<'_, T> {
    /// The input along axis `ax` that its tap `t` reads for rows at `j`, if inside.
    fn input(&self, ax: usize, j: usize, t: usize) -> Option<usize> {
        let i = self.phases[ax].taps[t].base + j as i64;
        (0..self.geo.axes[ax].input as i64)
            .contains(&i)
            .then_some(i as usize)
    }
}

// SAFETY: rows are outputs of this phase triple and group, and a task's tiles and panels are
// its own (phases partition the outputs, `yl` is one-to-one, a panel has `width` filters of
// the group left); a tap's element is input (n, i, g*cg) inside X (span checked by `run`'s
// caller) with the group's `cg` channels `xl.c` apart, and when `run_strided` merges, the
// unit's taps read consecutive inputs whose channels follow each other (`xl.s[0] == cg*xl.c`);
// a block holds `taps*cg*NR` weights after its seeds.
unsafe impl<T: Kernel> RowSource<T> for PhaseRows<'_, T> {
    fn grid(&self) -> [usize; 3] {
        self.phases.map(|p| p.count)
    }

    fn out_at(&self, (n, j): Pos) -> usize {
        let o = [0, 1, 2].map(|ax| self.phases[ax].first + j[ax] * self.geo.axes[ax].stride);
        self.yl.offset(n, o, self.y_at)
    }

    fn line(&self, n: usize, j: [usize; 2], t: [usize; 2]) -> Option<usize> {
        let i = [0, self.input(1, j[0], t[0])?, self.input(2, j[1], t[1])?];
        Some(self.xl.offset(n, i, self.x_at))
    }

    fn along0(&self, j0: usize, t0: usize) -> Option<usize> {
        self.input(0, j0, t0).map(|i| i * self.xl.s[0])
    }

    fn panel(&self, p: usize) -> Panel<T> {
        let (seed, weights) = self.w.block(self.g, self.r, p);
        Panel {
            seed: *seed,
            weights,
            width: NR.min(self.fg - p * NR),
        }
    }
}

/// Tasks over the phases' outputs, ordered `(n, j2, j1, j0)` with `j0` fastest: for each
/// group and phase triple with outputs, its `units` of work cut into ranges of one to two
/// `min_units`; when that leaves too few tasks, the filter panels are split too, finely
/// (every task reads its panels' weights whole, so few outputs and many weights want panels
/// split rather than outputs). Tasks go range by range, each range through every phase: the
/// phases' same range reads about the same inputs, which then come from cache rather than
/// memory (a large input read phase after phase would stream from memory once per phase).
/// Returns `(group, phase triple, range of units, range of panels)`.
fn tasks(
    geo: &Geometry,
    ph: &[Vec<Phase>; 3],
    panels: usize,
    units: impl Fn(&[&Phase; 3]) -> usize,
    min_units: usize,
) -> Vec<Task> {
    let mut all = Vec::new();
    for g in 0..geo.groups {
        for (r2, p2) in ph[2].iter().enumerate() {
            for (r1, p1) in ph[1].iter().enumerate() {
                for (r0, p0) in ph[0].iter().enumerate() {
                    let u = units(&[p0, p1, p2]);
                    if u > 0 {
                        all.push((g, [r0, r1, r2], u));
                    }
                }
            }
        }
    }
    let total: usize = all.iter().map(|u| u.2).sum();
    let want = task_count(total * panels);
    let per_task = total.div_ceil(want).clamp(min_units, 2 * min_units).max(1);
    let unit_tasks: usize = all.iter().map(|u| u.2.div_ceil(per_task)).sum();
    // Too few output ranges: panels are cut four times finer than the tasks wanted, since
    // each such task is short and streams weights only it reads, so a thread that finishes
    // early still finds parts left to take.
    let parts = if unit_tasks < want {
        (4 * want / unit_tasks.max(1)).clamp(1, panels)
    } else {
        1
    };
    let per_part = panels.div_ceil(parts);
    let most = all.iter().map(|u| u.2).max().unwrap_or(0);
    let all = &all;
    (0..most)
        .step_by(per_task)
        .flat_map(|u0| {
            all.iter()
                .filter(move |u| u0 < u.2)
                .map(move |&(g, r, u)| (g, r, u, u0))
        })
        .flat_map(|(g, r, u, u0)| {
            (0..panels).step_by(per_part).map(move |p0| {
                (
                    g,
                    r,
                    u0..(u0 + per_task).min(u),
                    p0..(p0 + per_part).min(panels),
                )
            })
        })
        .collect()
}

/// Writes `bias[f]` to every output of filter `f` in `yl` (serially: only geometries whose
/// filter is shorter than the stride need it).
fn fill_bias<T: Copy>(y: &mut [T], yl: Layout, e: Extents, bias: &[T]) {
    let [n0, n1, n2] = e.spatial;
    for n in 0..e.batch {
        for o2 in 0..n2 {
            for o1 in 0..n1 {
                for o0 in 0..n0 {
                    let at = yl.origin + n * yl.n + o0 * yl.s[0] + o1 * yl.s[1] + o2 * yl.s[2];
                    for (f, &b) in bias.iter().enumerate() {
                        y[at + f * yl.c] = b;
                    }
                }
            }
        }
    }
}

/// Offsets along one axis per tap (`None`: outside the input) for the phase's `j`-th output.
fn along(taps: &[PhaseTap], j: usize, len: usize, stride: usize, out: &mut Vec<Option<usize>>) {
    out.clear();
    out.extend(taps.iter().map(|t| {
        let i = t.base + j as i64;
        (0..len as i64).contains(&i).then(|| i as usize * stride)
    }));
}

/// Column-major `[S0 C S1 S2 N]` (each input line of each channel contiguous) after as
/// many elements as the taps reach before a line's start, and the length of a buffer that
/// also holds as many as lane calls read past the last line's end: the taps' reach plus the
/// rows rounded up to whole vectors (`phases` are axis 0's). Reads past one line's ends
/// land in the slack or a neighbouring line and are masked off. Its products are factors
/// of the input's length, which `Geometry` bounds.
fn line_layout(geo: &Geometry, phases: &[Phase]) -> (Layout, usize) {
    let e = input_extents(geo);
    let [n0, n1, n2] = e.spatial;
    let taps = phases
        .iter()
        .filter(|p| p.count > 0)
        .flat_map(|p| p.taps.iter().map(move |t| (t.base, p.count)));
    let before = taps.clone().map(|(b, _)| -b).max().unwrap_or(0).max(0) as usize;
    let past = taps
        .map(|(b, count)| b + count.next_multiple_of(MR) as i64 - n0 as i64)
        .max()
        .unwrap_or(0)
        .max(0) as usize;
    let s1 = n0 * e.channels;
    let layout = Layout {
        n: s1 * n1 * n2,
        s: [1, s1, s1 * n1],
        c: n0,
        origin: before,
    };
    (layout, before + geo.input_len() + past)
}
