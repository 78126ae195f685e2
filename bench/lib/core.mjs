// The WASM core's calls on one shape, prepared as the layer prepares them (inputs reordered
// into channels-last WASM buffers, weights packed once), so that each call can be timed or
// profiled alone: the forward, dX, dW and dB.

/** Deterministic uniform values in [-scale, scale) (xorshift32). */
export function randomF32(n, seed, scale = 1) {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    a[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  return a;
}

/**
 * The data of the shape `g` (bench/lib/geometry.mjs), the same on every run: `x`, weights `w`
 * of variance 1 / fan-in (outputs of the inputs' scale), bias `b`, and `dy` (with `backward`, else
 * null); all Float32Arrays.
 */
export function shapeData(g, backward) {
  const seed = [...g.id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  return {
    x: randomF32(g.xNumel, seed),
    w: randomF32(g.wNumel, seed + 1, Math.sqrt(3 / (g.Cin * g.k.d * g.k.h * g.k.w))),
    b: randomF32(g.Cout, seed + 2, 0.1),
    dy: backward ? randomF32(g.yNumel, seed + 3) : null,
  };
}

/**
 * The core's operator (`Operator`: the glue's `OperatorF32` or `OperatorF64`) for the shape `g`
 * (bench/lib/geometry.mjs: its spatial vectors go in [W, H, D] order, the order of the data's S
 * dimensions) with `weights` and `bias` (empty for none).
 */
export function newOperator(Operator, g, weights, bias) {
  const whd = (v) => [v.w, v.h, v.d];
  const crop = Int32Array.from(whd(g.crop));
  return new Operator(
    g.Cin,
    g.Cout,
    1,
    Uint32Array.from(whd(g.k)),
    Uint32Array.from(whd(g.stride)),
    Uint32Array.of(1, 1, 1),
    crop,
    crop,
    false,
    Uint32Array.of(0, 0, 0),
    weights,
    bias,
  );
}

/**
 * The plan of `op` for the input size of the shape `g`, and what its `describe()` tells (the one
 * reading of that vector in the bench; compute.rs, `describe`): the output size `out` ([W H D],
 * the bench's order), the forward input layout `fwdIn` (`[n s0 s1 s2 c origin]`) and the length
 * `inputLen` of a buffer in it, the FLOPs, and the layouts `xs` and `dys` (`[n s0 s1 s2 c]`) of
 * X and dY the gradients take. The caller frees `plan`.
 */
export function planOf(op, g) {
  const plan = op.reshape(g.N, g.in.w, g.in.h, g.in.d);
  const d = plan.describe();
  return {
    plan,
    out: { w: d[0], h: d[1], d: d[2] },
    fwdIn: Array.from(d.subarray(3, 9)),
    inputLen: d[9],
    flops: d[10],
    xs: Array.from(d.subarray(11, 16)),
    dys: Array.from(d.subarray(16, 21)),
  };
}

/**
 * The core's calls on the shape `g` (bench/lib/geometry.mjs) with `data` (`x`, `dy`, `w`, `b`
 * as Float32Arrays), in f32 or f64, on `runtime` (a tconv3d runtime's `wasm()`): returns
 * `{ calls: { forward, dX, dW, dB }, free }`; `free()` releases every WASM object. The
 * operator's plan says which layouts each pass takes (the bench copies none of the core's
 * layout rules); each gradient is the one-call backward asked for that gradient alone.
 */
export function coreCalls(runtime, g, data, f64 = false) {
  const glue = runtime.exports;
  const t = f64
    ? {
        Buffer: glue.BufferF64,
        Operator: glue.OperatorF64,
        reorder: glue.reorder_f64,
        view: (b) => runtime.f64(b.ptr(), b.len()),
        cast: (v) => Float64Array.from(v),
      }
    : {
        Buffer: glue.BufferF32,
        Operator: glue.OperatorF32,
        reorder: glue.reorder_f32,
        view: (b) => runtime.f32(b.ptr(), b.len()),
        cast: (v) => v,
      };
  const vox = (e) => e.w * e.h * e.d;
  // The data's own layout: row-major NCDHW is column-major [W H D C N].
  const cf = (C, e) => Uint32Array.of(C * vox(e), 1, e.w, e.w * e.h, vox(e), 0);
  const ext = (C, e) => Uint32Array.of(g.N, e.w, e.h, e.d, C);
  const op = newOperator(t.Operator, g, t.cast(data.w), t.cast(data.b));
  const held = [op];
  const keep = (o) => {
    held.push(o);
    return o;
  };
  const free = () => {
    for (const o of held.reverse()) o.free();
    held.length = 0;
  };
  try {
    const { plan, fwdIn, inputLen, xs, dys: ys } = planOf(op, g);
    keep(plan);
    const buf = (n) => keep(new t.Buffer(n));
    // Inputs in the layouts the plan asks for, as the layer's backward hands them to the core.
    const planned = (values, C, e, to) => {
      const raw = buf(values.length);
      t.view(raw).set(t.cast(values));
      const b = buf(values.length);
      t.reorder(raw, cf(C, e), b, Uint32Array.of(...to, 0), ext(C, e));
      return b;
    };
    const x = planned(data.x, g.Cin, g.in, xs);
    const dy = planned(data.dy, g.Cout, g.out, ys);
    const xp = buf(inputLen);
    t.reorder(x, Uint32Array.of(...xs, 0), xp, Uint32Array.from(fwdIn), ext(g.Cin, g.in));
    const [y, dx, dw, db] = [buf(g.yNumel), buf(g.xNumel), buf(g.wNumel), buf(g.Cout)];
    const backward = (want) => () =>
      op.backward(plan, x, ...xs, dy, ...ys, dx, ...xs, dw, db, want);
    const calls = {
      forward: () => op.forward(plan, xp, ...fwdIn, y, ...ys, 0),
      dX: backward(1),
      dW: backward(2),
      dB: backward(4),
    };
    return { calls, free };
  } catch (e) {
    free();
    throw e;
  }
}
