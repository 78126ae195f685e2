// Markdown tables, number formatting and the statistics (median, geometric mean, a timed
// phase's summary) of the benchmark reports.

/** A markdown table; `align` is a string of "l"/"r" per column (default: first l, rest r). */
export function table(head, rows, align) {
  const al = align ?? `l${"r".repeat(head.length - 1)}`;
  const cells = [head, ...rows].map((r) => r.map((c) => String(c ?? "")));
  const width = head.map((_, j) => Math.max(3, ...cells.map((r) => r[j].length)));
  const pad = (s, j) => (al[j] === "r" ? s.padStart(width[j]) : s.padEnd(width[j]));
  const line = (r) => `| ${r.map(pad).join(" | ")} |`;
  // The delimiter row as Biome's markdown formatter writes it (so that `pnpm lint` passes).
  const rule = `| ${width.map((w, j) => (al[j] === "r" ? `${"-".repeat(w - 1)}:` : `:${"-".repeat(w - 1)}`)).join(" | ")} |`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join("\n");
}

/** Milliseconds with 3 significant digits (at least 1 decimal below 100). */
export function ms(x) {
  if (!Number.isFinite(x)) return "–";
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** Bytes as whole KiB. */
export const kb = (bytes) => (bytes / 1024).toFixed(0);

/** GFLOP/s or any rate, 3 significant digits. */
export function num(x) {
  if (!Number.isFinite(x)) return "–";
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** A ratio such as a speed-up: "2.31×". */
export function ratio(x) {
  return Number.isFinite(x) ? `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×` : "–";
}

/** A percentage. */
export function pct(x) {
  return Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}%` : "–";
}

/** A relative error in scientific notation. */
export function sci(x) {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return "∞";
  if (x === 0) return "0";
  return x.toExponential(1);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Geometric mean of the finite positive values (NaN when there are none). */
export function geomean(xs) {
  const v = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (v.length === 0) return Number.NaN;
  return Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
}

/**
 * One implementation's timed rounds: `times` (ms) and `cores` (CPU time ÷ wall time of each
 * call), with their median, min and max time and median cores (`busy`).
 */
export function summary({ times, cores }) {
  return {
    times,
    cores,
    median: median(times),
    min: Math.min(...times),
    max: Math.max(...times),
    busy: median(cores),
  };
}
