// Built-in data: random 3-D shapes (spheres, tori, boxes and unions of them) drawn as soft
// occupancy volumes, and their low-resolution versions (box-filtered), from a seeded stream.
// Volumes are column-major n x n x n (x fastest), as a "SSSCB" dlarray holds them.
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/** A seeded uniform stream in [0, 1). */
export function rng(seed) {
  const generator = xoroshiro128plus(seed);
  return () => uniformFloat64(generator);
}

/** Signed distances in the unit cube [-1, 1]^3 (negative inside). */
const PRIMITIVES = [
  (r) => {
    const c = [r() - 0.5, r() - 0.5, r() - 0.5].map((v) => v * 0.8);
    const radius = 0.3 + 0.3 * r();
    return (x, y, z) => Math.hypot(x - c[0], y - c[1], z - c[2]) - radius;
  },
  (r) => {
    const c = [r() - 0.5, r() - 0.5, r() - 0.5].map((v) => v * 0.6);
    const big = 0.35 + 0.25 * r();
    const small = 0.12 + 0.1 * r();
    const axis = Math.floor(r() * 3); // the torus lies across one of the three axes
    return (x, y, z) => {
      const p = [x - c[0], y - c[1], z - c[2]];
      const h = p[axis];
      const q = Math.hypot(p[(axis + 1) % 3], p[(axis + 2) % 3]) - big;
      return Math.hypot(q, h) - small;
    };
  },
  (r) => {
    const c = [r() - 0.5, r() - 0.5, r() - 0.5].map((v) => v * 0.8);
    const half = [0.15 + 0.35 * r(), 0.15 + 0.35 * r(), 0.15 + 0.35 * r()];
    return (x, y, z) => {
      const d = [
        Math.abs(x - c[0]) - half[0],
        Math.abs(y - c[1]) - half[1],
        Math.abs(z - c[2]) - half[2],
      ];
      const outside = Math.hypot(Math.max(d[0], 0), Math.max(d[1], 0), Math.max(d[2], 0));
      return outside + Math.min(Math.max(d[0], d[1], d[2]), 0);
    };
  },
];

/** One shape: a union (the minimum distance) of one to three primitives. */
function randomShape(r) {
  const parts = Array.from({ length: 1 + Math.floor(r() * 3) }, () =>
    PRIMITIVES[Math.floor(r() * PRIMITIVES.length)](r),
  );
  return (x, y, z) => Math.min(...parts.map((f) => f(x, y, z)));
}

/** The shape's occupancy on an n^3 grid, soft over about one voxel at the surface. */
function occupancy(shape, n) {
  const v = new Float32Array(n * n * n);
  const sharp = n; // the edge spans about two voxels
  const at = (i) => ((i + 0.5) / n) * 2 - 1;
  for (let z = 0, i = 0; z < n; z++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++, i++)
        v[i] = 1 / (1 + Math.exp(sharp * shape(at(x), at(y), at(z))));
    }
  }
  return v;
}

/** The mean of each f^3 block: an n^3 volume at n/f per side. */
function downsample(v, n, f) {
  const m = n / f;
  const out = new Float32Array(m * m * m);
  for (let z = 0, i = 0; z < n; z++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++, i++) {
        out[Math.floor(x / f) + m * (Math.floor(y / f) + m * Math.floor(z / f))] += v[i];
      }
    }
  }
  const scale = 1 / (f * f * f);
  for (let j = 0; j < out.length; j++) out[j] *= scale;
  return out;
}

/** `count` shapes as a batch: `input` (n/factor)^3 and `target` n^3 volumes, one after another. */
export function batch(r, count, n, factor) {
  const m = n / factor;
  const input = new Float32Array(count * m * m * m);
  const target = new Float32Array(count * n * n * n);
  for (let b = 0; b < count; b++) {
    const t = occupancy(randomShape(r), n);
    target.set(t, b * t.length);
    input.set(downsample(t, n, factor), b * m * m * m);
  }
  return { input, target };
}
