//! `dW`: per tap, a `C/g x F/g` GEMM whose inner dimension runs over every input voxel, cut
//! into blocks of channels x filters x taps that each task writes into the tap-fastest `dW`
//! a block of taps at a time (few filters or channels: the wider side in SIMD lanes, read in
//! place).

use core::ops::Range;

use crate::geometry::Geometry;
use crate::kernels::{Kernel, Run, RunSteps, MR, NR, WIDE_ROWS};
use crate::layout::Layout;
use crate::parallel::{for_each_index, task_count, SharedOut};
use crate::reference::{input_extents, output_extents};

/// Bytes of per-tap sums a `dW` task keeps so as to write a block of taps at once.
const DW_STAGE: usize = 256 * 1024;

/// How one input size's `dW` is cut into tasks: blocks of `cb` channels x `fb` filters x `tb`
/// taps, and how many of each per group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WeightsSplit {
    cb: usize,
    fb: usize,
    tb: usize,
    c_blocks: usize,
    f_blocks: usize,
    t_blocks: usize,
}

impl WeightsSplit {
    pub(crate) fn new<T>(geo: &Geometry) -> Self {
        let (cg, fg, taps) = (
            geo.channels_per_group(),
            geo.filters_per_group(),
            geo.taps(),
        );
        // dW(k, f, c, g) is at `((g*cg + c)*fg + f)*taps + tap`, the tap fastest. A task owns
        // a block of channels x filters x a range of taps, so it owns those spans of dW and
        // writes them while they stay in its cache: the block is halved (the longer side)
        // until its spans fit about 1 MiB (L2), but not below 256 channel-filter pairs, so
        // that the per-voxel packing of its X and dY rows (repeated for every block) stays
        // small next to the block's outer products. Taps are split when that leaves too few
        // tasks for the threads.
        let size = core::mem::size_of::<T>();
        let (mut cb, mut fb) = (cg, fg);
        while cb * fb * taps * size > 1024 * 1024 && cb * fb >= 512 && (cb > MR || fb > NR) {
            if cb >= fb && cb > MR {
                cb = cb.div_ceil(2).next_multiple_of(MR);
            } else {
                fb = fb.div_ceil(2).next_multiple_of(NR);
            }
        }
        let blocks = geo.groups * cg.div_ceil(cb) * fg.div_ceil(fb);
        let tb = taps.div_ceil(task_count(blocks * taps).div_ceil(blocks).min(taps));
        Self {
            cb,
            fb,
            tb,
            c_blocks: cg.div_ceil(cb),
            f_blocks: fg.div_ceil(fb),
            t_blocks: taps.div_ceil(tb),
        }
    }
}

/// `dW` (`[k0 k1 k2 F/g C/g g]` column-major, its length checked by the caller) from
/// channels-last `X` and `dY` of the input size of `geo`.
pub(crate) fn run<T: Kernel>(
    geo: &Geometry,
    split: &WeightsSplit,
    x: &[T],
    dy: &[T],
    dw: &mut [T],
) {
    let (xl, yl) = (
        Layout::channels_last(input_extents(geo)),
        Layout::channels_last(output_extents(geo)),
    );
    let steps = RunSteps {
        a: xl.s[0],
        b: geo.axes[0].stride * yl.s[0],
    };
    let WeightsSplit {
        c_blocks,
        f_blocks,
        t_blocks,
        ..
    } = *split;
    let out = SharedOut(dw.as_mut_ptr());
    for_each_index(geo.groups * c_blocks * f_blocks * t_blocks, |task| {
        let block = split.block(geo, task);
        let sweep = Sweep::new(&block, x, dy, steps);
        let (tiles, wides) = (sweep.tiles, sweep.wides);
        let mut accs = vec![[[T::ZERO; NR]; MR]; sweep.tg * tiles];
        let mut wide = vec![[[T::ZERO; WIDE_ROWS]; NR]; sweep.tg * wides];
        let (packed_a, packed_b) = sweep.packed_lens();
        let mut ap = vec![T::ZERO; packed_a];
        let mut bp = vec![T::ZERO; packed_b];
        let mut runs = Vec::new();
        for t0 in block.taps.clone().step_by(sweep.tg) {
            let tap_block = t0..(t0 + sweep.tg).min(block.taps.end);
            for (slot, tap) in tap_block.clone().enumerate() {
                tap_runs(geo, xl, yl, &block, sweep.swap, tap, &mut runs);
                let accs = &mut accs[slot * tiles..(slot + 1) * tiles];
                let wide = &mut wide[slot * wides..(slot + 1) * wides];
                accs.fill([[T::ZERO; NR]; MR]);
                wide.fill([[T::ZERO; WIDE_ROWS]; NR]);
                sweep.accumulate(&runs, accs, wide, &mut ap, &mut bp);
            }
            // SAFETY: `out` is dW (length checked by the caller), and this block's pairs and
            // taps belong to this task only.
            unsafe { sweep.store(geo, &block, tap_block, &accs, &wide, out) };
        }
    });
}

/// One `dW` task's block: group `g`, channels `c_at..c_at+cs`, filters `f_at..f_at+fs` and a
/// range of taps.
struct Block {
    g: usize,
    c_at: usize,
    f_at: usize,
    cs: usize,
    fs: usize,
    taps: Range<usize>,
}

impl WeightsSplit {
    /// Task `task`'s block.
    fn block(&self, geo: &Geometry, task: usize) -> Block {
        let (c_blocks, f_blocks, t_blocks) = (self.c_blocks, self.f_blocks, self.t_blocks);
        let g = task / (c_blocks * f_blocks * t_blocks);
        let c_at = task / (f_blocks * t_blocks) % c_blocks * self.cb;
        let f_at = task / t_blocks % f_blocks * self.fb;
        let t_at = task % t_blocks * self.tb;
        Block {
            g,
            c_at,
            f_at,
            cs: self.cb.min(geo.channels_per_group() - c_at),
            fs: self.fb.min(geo.filters_per_group() - f_at),
            taps: t_at..(t_at + self.tb).min(geo.taps()),
        }
    }
}

/// Runs of voxels along axis 0 that tap `tap` pairs in `X` and `dY` (A's offset first, see
/// `swap`), for every batch item and line whose outputs survive the crop.
fn tap_runs(
    geo: &Geometry,
    xl: Layout,
    yl: Layout,
    block: &Block,
    swap: bool,
    tap: usize,
    runs: &mut Vec<Run>,
) {
    let [a0, a1, a2] = geo.axes;
    let (cg, fg) = (geo.channels_per_group(), geo.filters_per_group());
    let ks = geo.kernel_size();
    let k = [tap % ks[0], tap / ks[0] % ks[1], tap / (ks[0] * ks[1])];
    let i0 = a0.inputs_for_tap(k[0]);
    runs.clear();
    if i0.is_empty() {
        return;
    }
    let o0 = a0.output_for(i0.start, k[0]).expect("in range");
    for n in 0..geo.batch {
        for i2 in a2.inputs_for_tap(k[2]) {
            let o2 = a2.output_for(i2, k[2]).expect("in range");
            for i1 in a1.inputs_for_tap(k[1]) {
                let o1 = a1.output_for(i1, k[1]).expect("in range");
                let xo = xl.offset(n, [i0.start, i1, i2], block.g * cg + block.c_at);
                let yo = yl.offset(n, [o0, o1, o2], block.g * fg + block.f_at);
                let (a, b) = if swap { (yo, xo) } else { (xo, yo) };
                runs.push(Run {
                    a,
                    b,
                    len: i0.len(),
                });
            }
        }
    }
}

/// How a block's sums are taken: which tensor is A, in lanes or tiles, read in place or
/// packed, and how many taps' sums are staged.
struct Sweep<'a, T> {
    src_a: &'a [T],
    src_b: &'a [T],
    /// A's and B's values per voxel, and their rows' steps along axis 0.
    na: usize,
    nb: usize,
    st: RunSteps,
    narrow: bool,
    swap: bool,
    direct: bool,
    f_tiles: usize,
    /// Tiles or blocks of lanes of one tap's sums.
    tiles: usize,
    wides: usize,
    /// Taps staged, and voxels per chunk.
    tg: usize,
    chunk: usize,
}

impl<'a, T: Kernel> Sweep<'a, T> {
    fn new(block: &Block, x: &'a [T], dy: &'a [T], steps: RunSteps) -> Self {
        let (cs, fs) = (block.cs, block.fs);
        let size = core::mem::size_of::<T>();
        let (c_tiles, f_tiles) = (cs.div_ceil(MR), fs.div_ceil(NR));
        // Few filters or few channels: the wider side's values of a voxel go in SIMD lanes
        // (`outer_narrow`, blocks of WIDE_ROWS) against the narrow side's, which become the
        // columns: tensor A is X (channels in lanes), or dY when the channels are the fewer.
        // With whole MR-lane tiles, A and B are then read in place (a run of voxels along
        // axis 0 is a strided matrix of the channels-last tensors), since packing would cost
        // about as much as the few products per voxel. Otherwise MR x NR tiles of (c, f).
        let narrow = cs.min(fs) < NR;
        let swap = narrow && fs > cs;
        let (src_a, src_b, na, nb, st) = if swap {
            (
                dy,
                x,
                fs,
                cs,
                RunSteps {
                    a: steps.b,
                    b: steps.a,
                },
            )
        } else {
            (x, dy, cs, fs, steps)
        };
        // A and B are read in place when that is as good as packed: whole MR-lane blocks
        // (narrow), or whole tiles whose rows already follow each other densely (one group,
        // all channels and filters, stride 1 along axis 0), which saves two small copies a
        // voxel. Rows far apart (many channels, strided) are packed: in place, each step of a
        // tile would touch a new cache line.
        let direct = if narrow {
            na % MR == 0
        } else {
            cs % MR == 0 && fs % NR == 0 && st.a == na && st.b == nb
        };
        // Sums of a group of taps are kept (tap-major, a tile or block of lanes per tap) and
        // written together through register transposes: each (c, f) pair's taps are
        // contiguous in dW, so the group's sums go out as whole runs (a cache line of f32 per
        // pair) rather than one element per line and tap, which would dominate when each tap
        // has few voxels. Workspace: at most DW_STAGE bytes of sums.
        let (tiles, wides) = if narrow {
            (0, na.div_ceil(WIDE_ROWS))
        } else {
            (c_tiles * f_tiles, 0)
        };
        let per_tap = (tiles * MR + wides * WIDE_ROWS) * NR;
        let tg = (DW_STAGE / (per_tap * size).max(1))
            .clamp(1, 64 / size)
            .min(block.taps.len());
        // Voxels go in chunks (packed, with a tile's width of padding so that edge tiles read
        // full width and ignore the extra lanes, unless `direct`) of about 16 KiB, so that they
        // stay in L1 while every tile of the block streams them, and are long enough to pay
        // for a tile's set-up.
        let chunk = (16 * 1024 / ((cs + fs) * size).max(1)).max(1);
        Self {
            src_a,
            src_b,
            na,
            nb,
            st,
            narrow,
            swap,
            direct,
            f_tiles,
            tiles,
            wides,
            tg,
            chunk,
        }
    }

    /// Lengths of the packed chunks of A and B (none when `direct`).
    fn packed_lens(&self) -> (usize, usize) {
        if self.direct {
            (0, 0)
        } else {
            (self.chunk * self.na + MR, self.chunk * self.nb + NR)
        }
    }

    /// Adds one tap's runs to its sums, in chunks of voxels read in place or packed. Inlined
    /// with the steps below into the task's loop: a chunk can be a few voxels, so a call per
    /// chunk would weigh next to its products.
    #[inline(always)]
    fn accumulate(
        &self,
        runs: &[Run],
        accs: &mut [[[T; NR]; MR]],
        wide: &mut [[[T; WIDE_ROWS]; NR]],
        ap: &mut [T],
        bp: &mut [T],
    ) {
        if self.direct {
            let mut first = 0;
            while first < runs.len() {
                let (mut last, mut voxels) = (first, 0);
                while last < runs.len() && voxels < self.chunk {
                    voxels += runs[last].len;
                    last += 1;
                }
                // SAFETY: whole tiles or MR-lane blocks of rows in place (see `direct`).
                unsafe {
                    self.sum(
                        &runs[first..last],
                        self.st,
                        self.src_a,
                        self.src_b,
                        accs,
                        wide,
                    )
                };
                first = last;
            }
            return;
        }
        let (na, nb, st) = (self.na, self.nb, self.st);
        let mut filled = 0;
        for run in runs {
            for kk in 0..run.len {
                let (ra, rb) = (run.a + kk * st.a, run.b + kk * st.b);
                ap[filled * na..(filled + 1) * na].copy_from_slice(&self.src_a[ra..ra + na]);
                bp[filled * nb..(filled + 1) * nb].copy_from_slice(&self.src_b[rb..rb + nb]);
                filled += 1;
                if filled == self.chunk {
                    self.sum_packed(filled, ap, bp, accs, wide);
                    filled = 0;
                }
            }
        }
        if filled > 0 {
            self.sum_packed(filled, ap, bp, accs, wide);
        }
    }

    /// Adds `len` packed voxels to the sums.
    #[inline(always)]
    fn sum_packed(
        &self,
        len: usize,
        ap: &[T],
        bp: &[T],
        accs: &mut [[[T; NR]; MR]],
        wide: &mut [[[T; WIDE_ROWS]; NR]],
    ) {
        let run = [Run { a: 0, b: 0, len }];
        let steps = RunSteps {
            a: self.na,
            b: self.nb,
        };
        // SAFETY: packed rows of `na` and `nb` values, with a tile's width of padding.
        unsafe { self.sum(&run, steps, ap, bp, accs, wide) };
    }

    /// Adds the runs' products of A at `a` and B at `b` to the sums: blocks of lanes when
    /// narrow, else tiles.
    ///
    /// # Safety
    /// A rows of `na` values, readable up to a multiple of MR past each block's first lane
    /// (narrow) or holding MR values from each tile's channel; B rows of `nb` values, or NR
    /// from each tile's filter.
    #[inline(always)]
    unsafe fn sum(
        &self,
        runs: &[Run],
        steps: RunSteps,
        a: &[T],
        b: &[T],
        accs: &mut [[[T; NR]; MR]],
        wide: &mut [[[T; WIDE_ROWS]; NR]],
    ) {
        if !self.narrow {
            // SAFETY: forwarded from the caller.
            unsafe { sum_tiles(accs, self.f_tiles, runs, steps, a, b) };
            return;
        }
        for (bi, w) in wide.iter_mut().enumerate() {
            let l0 = bi * WIDE_ROWS;
            // SAFETY: forwarded from the caller.
            unsafe {
                T::outer_narrow(
                    w,
                    WIDE_ROWS.min(self.na - l0),
                    runs,
                    steps,
                    a.as_ptr().add(l0),
                    b.as_ptr(),
                    self.nb,
                )
            };
        }
    }

    /// The staged sums of `tap_block` into dW: for each run of pairs that follow each other
    /// in dW (a tile row's filters, or a block of lanes of filters), the taps from the slots
    /// into each pair's run of taps.
    ///
    /// # Safety
    /// `out` is dW, and the block's pairs and taps belong to this task only.
    unsafe fn store(
        &self,
        geo: &Geometry,
        block: &Block,
        tap_block: Range<usize>,
        accs: &[[[T; NR]; MR]],
        wide: &[[[T; WIDE_ROWS]; NR]],
        out: SharedOut<T>,
    ) {
        let (cg, fg, taps) = (
            geo.channels_per_group(),
            geo.filters_per_group(),
            geo.taps(),
        );
        let (tiles, wides) = (self.tiles, self.wides);
        let pair = |c: usize, f: usize| (block.g * cg + block.c_at + c) * fg + block.f_at + f;
        let put = |src: *const T, slot_step: usize, first: usize, n: usize| {
            // SAFETY: `src` is read at `s*slot_step + i` for s < tap_block.len(), i < n, as
            // the callers grant; dW is written at pairs first..first+n, taps of the group:
            // inside dW, and this task's only (caller).
            unsafe {
                T::transpose(
                    src,
                    slot_step,
                    out.at(first * taps + tap_block.start),
                    taps,
                    n,
                    tap_block.len(),
                )
            }
        };
        let wide_step = wides * NR * WIDE_ROWS;
        for bi in 0..wides {
            let (l0, rows) = (bi * WIDE_ROWS, WIDE_ROWS.min(self.na - bi * WIDE_ROWS));
            for q in 0..self.nb {
                // SAFETY: column q of slot 0's block bi (lanes l0..), inside `wide`.
                let lanes = unsafe { wide.as_ptr().add(bi).cast::<T>().add(q * WIDE_ROWS) };
                if self.swap {
                    // Channel q, filters l0..l0+rows: consecutive pairs.
                    put(lanes, wide_step, pair(q, l0), rows);
                } else {
                    // Filter q of channels l0..: pairs `fg` apart, one at a time.
                    for r in 0..rows {
                        // SAFETY: lane r < rows of the block.
                        put(unsafe { lanes.add(r) }, wide_step, pair(l0 + r, q), 1);
                    }
                }
            }
        }
        for ti in 0..tiles {
            let (c0, f0) = (ti / self.f_tiles * MR, ti % self.f_tiles * NR);
            for r in 0..MR.min(block.cs - c0) {
                // SAFETY: row r of slot 0's tile ti; NR.min(fs - f0) <= NR of its values.
                let row = unsafe { accs.as_ptr().add(ti).cast::<T>().add(r * NR) };
                put(
                    row,
                    tiles * MR * NR,
                    pair(c0 + r, f0),
                    NR.min(block.fs - f0),
                );
            }
        }
    }
}

/// Adds the runs' outer products to every `MR x NR` tile of `accs` (tile `ti` at channel
/// `ti / f_tiles * MR` and filter `ti % f_tiles * NR` of A's and B's rows).
///
/// # Safety
/// Every run step's A row holds MR values from each tile's channel and its B row NR from
/// each tile's filter.
#[inline(always)]
unsafe fn sum_tiles<T: Kernel>(
    accs: &mut [[[T; NR]; MR]],
    f_tiles: usize,
    runs: &[Run],
    steps: RunSteps,
    a: &[T],
    b: &[T],
) {
    for (ti, acc) in accs.iter_mut().enumerate() {
        let (c0, f0) = (ti / f_tiles * MR, ti % f_tiles * NR);
        // SAFETY: as the caller grants.
        unsafe { T::outer(acc, runs, steps, a.as_ptr().add(c0), b.as_ptr().add(f0)) };
    }
}
