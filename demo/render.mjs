// Pictures of volumes: the central slice and the maximum-intensity projections along two axes,
// side by side, colour-mapped, as RGBA pixels (a PNG in the terminal demo, canvases on the page).

/** The three views of a column-major n^3 volume, each n x n, row-major (image rows). */
export function views(v, n) {
  const slice = new Float32Array(n * n);
  const top = new Float32Array(n * n).fill(0); // MIP along z: x right, y down
  const side = new Float32Array(n * n).fill(0); // MIP along y: x right, z down
  const mid = Math.floor(n / 2);
  for (let z = 0, i = 0; z < n; z++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++, i++) {
        const a = v[i];
        if (z === mid) slice[y * n + x] = a;
        if (a > top[y * n + x]) top[y * n + x] = a;
        if (a > side[z * n + x]) side[z * n + x] = a;
      }
    }
  }
  return [slice, top, side];
}

/** Nearest-neighbour upsampling of an m^3 volume to n^3 (to draw the input beside the rest). */
export function upsample(v, m, n) {
  const out = new Float32Array(n * n * n);
  const f = n / m;
  for (let z = 0, i = 0; z < n; z++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++, i++) {
        out[i] = v[Math.floor(x / f) + m * (Math.floor(y / f) + m * Math.floor(z / f))];
      }
    }
  }
  return out;
}

// A dark-blue to yellow map (a few stops of viridis), for values in [0, 1].
const STOPS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function colour(t) {
  const u = Math.min(Math.max(t, 0), 1) * (STOPS.length - 1);
  const i = Math.min(Math.floor(u), STOPS.length - 2);
  const f = u - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + f * (b[c] - a[c])));
}

/**
 * An RGBA image of `rows` of volumes (each row a list of n^3 volumes), each volume drawn as its
 * three views, every pixel `scale` x `scale`, with `gap` pixels between views and rows.
 */
export function montage(rows, n, { scale = 3, gap = 4 } = {}) {
  const cols = rows[0].length * 3;
  const p = n * scale;
  const width = cols * p + (cols + 1) * gap + (rows[0].length - 1) * gap * 2;
  const height = rows.length * p + (rows.length + 1) * gap;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  for (const [r, row] of rows.entries()) {
    for (const [c, volume] of row.entries()) {
      for (const [k, view] of views(volume, n).entries()) {
        const left = gap + (c * 3 + k) * (p + gap) + c * gap * 2;
        const top = gap + r * (p + gap);
        for (let y = 0; y < n * scale; y++) {
          for (let x = 0; x < n * scale; x++) {
            const [R, G, B] = colour(view[Math.floor(y / scale) * n + Math.floor(x / scale)]);
            const o = ((top + y) * width + left + x) * 4;
            rgba[o] = R;
            rgba[o + 1] = G;
            rgba[o + 2] = B;
          }
        }
      }
    }
  }
  return { width, height, rgba };
}
