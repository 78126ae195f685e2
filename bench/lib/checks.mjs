// The checks before any timing counts: implementations agree on the forward output, and the
// backward's gradients satisfy dB = Σ dLdY and the adjoint identities.

/** Agreement required between implementations: max |a − b| ≤ TOL · max |b|. */
export const TOL = 1e-4;

/** max |a − ref| / max |ref| (∞ on NaN or a length mismatch). */
export function relErr(a, ref) {
  if (a.length !== ref.length) return Number.POSITIVE_INFINITY;
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    const x = a[i];
    const r = ref[i];
    const e = Math.abs(x - r);
    if (!(e <= d)) d = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
    const ar = Math.abs(r);
    if (ar > m) m = ar;
  }
  return m === 0 ? (d === 0 ? 0 : Number.POSITIVE_INFINITY) : d / m;
}

function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * The backward's checks on shape `g`: the builds `others` agree with `ref`'s gradients
 * (`consist`), dB = Σ dY per channel (`dbErr`), and the adjoint identities
 * <dY, Y − b> = <dX, X> = <dW, W> (`adj`), Y being the checked forward output `y`.
 */
export function backwardChecks(g, data, y, ref, others) {
  let consist = 0;
  for (const o of others) {
    consist = Math.max(
      consist,
      relErr(o.dLdX.data, ref.dLdX.data),
      relErr(o.dLdW.data, ref.dLdW.data),
      relErr(o.dLdB.data, ref.dLdB.data),
    );
  }
  const vox = g.out.d * g.out.h * g.out.w;
  const sumDy = new Float64Array(g.Cout);
  for (let n = 0; n < g.N; n++)
    for (let c = 0; c < g.Cout; c++) {
      let s = 0;
      const base = (n * g.Cout + c) * vox;
      for (let i = 0; i < vox; i++) s += data.dy[base + i];
      sumDy[c] += s;
    }
  const dbErr = relErr(ref.dLdB.data, sumDy);
  let yb = 0;
  for (let n = 0; n < g.N; n++)
    for (let c = 0; c < g.Cout; c++) {
      const base = (n * g.Cout + c) * vox;
      let s = 0;
      for (let i = 0; i < vox; i++) s += data.dy[base + i] * (y[base + i] - data.b[c]);
      yb += s;
    }
  const dxx = dot(ref.dLdX.data, data.x);
  const dww = dot(ref.dLdW.data, data.w);
  const adj = Math.max(Math.abs(dxx - yb), Math.abs(dww - yb)) / Math.abs(yb);
  return { consist, dbErr, adj, ok: consist <= TOL && dbErr <= TOL && adj <= TOL };
}
