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
 * The core's calls on the shape `g` (bench/lib/geometry.mjs) with `data` (`x`, `dy`, `w`, `b`
 * as Float32Arrays), in f32 or f64, on `runtime` (a tconv3d runtime's `wasm()`): returns
 * `{ calls: { forward, dX, dW, dB }, free }`; `free()` releases every WASM object.
 */
export function coreCalls(runtime, g, data, f64 = false) {
  const glue = runtime.exports;
  const t = f64
    ? {
        Buffer: glue.BufferF64,
        Forward: glue.ForwardF64,
        BackwardData: glue.BackwardDataF64,
        weights: glue.backward_weights_f64,
        bias: glue.backward_bias_f64,
        reorder: glue.reorder_f64,
        view: (b) => runtime.f64(b.ptr(), b.len()),
        cast: (v) => Float64Array.from(v),
      }
    : {
        Buffer: glue.BufferF32,
        Forward: glue.ForwardF32,
        BackwardData: glue.BackwardDataF32,
        weights: glue.backward_weights_f32,
        bias: glue.backward_bias_f32,
        reorder: glue.reorder_f32,
        view: (b) => runtime.f32(b.ptr(), b.len()),
        cast: (v) => v,
      };
  const vox = (e) => e.w * e.h * e.d;
  const cl = (C, e) => Uint32Array.of(C * vox(e), C, C * e.w, C * e.w * e.h, 1, 0);
  const cf = (C, e) => Uint32Array.of(C * vox(e), 1, e.w, e.w * e.h, vox(e), 0);
  const ext = (C, e) => Uint32Array.of(g.N, e.w, e.h, e.d, C);
  const conv = new glue.Conv(
    g.N,
    g.Cin,
    g.Cout,
    1,
    Uint32Array.of(g.in.w, g.in.h, g.in.d),
    Uint32Array.of(g.k.w, g.k.h, g.k.d),
    Uint32Array.of(g.stride.w, g.stride.h, g.stride.d),
    Uint32Array.of(1, 1, 1),
    Int32Array.of(g.crop.w, g.crop.h, g.crop.d),
    Int32Array.of(g.crop.w, g.crop.h, g.crop.d),
    false,
  );
  const held = [conv];
  const keep = (o) => {
    held.push(o);
    return o;
  };
  const free = () => {
    for (const o of held.reverse()) o.free();
    held.length = 0;
  };
  try {
    const buf = (n) => keep(new t.Buffer(n));
    // Inputs in channels-last, as the layer's backward hands them to the core.
    const channelsLast = (values, C, e) => {
      const raw = buf(values.length);
      t.view(raw).set(t.cast(values));
      const b = buf(values.length);
      t.reorder(raw, cf(C, e), b, cl(C, e), ext(C, e));
      return b;
    };
    const x = channelsLast(data.x, g.Cin, g.in);
    const dy = channelsLast(data.dy, g.Cout, g.out);
    const fwdPlan = keep(new t.Forward(conv, t.cast(data.w), t.cast(data.b)));
    const bwdPlan = keep(new t.BackwardData(conv, t.cast(data.w)));
    const xp = buf(fwdPlan.inputLen());
    t.reorder(x, cl(g.Cin, g.in), xp, fwdPlan.inputStrides(), ext(g.Cin, g.in));
    const [y, dx, dw, db] = [buf(g.yNumel), buf(g.xNumel), buf(g.wNumel), buf(g.Cout)];
    const calls = {
      forward: () => fwdPlan.run(xp, fwdPlan.inputStrides(), y, cl(g.Cout, g.out)),
      dX: () => bwdPlan.run(dy, cl(g.Cout, g.out), dx, cl(g.Cin, g.in)),
      dW: () => t.weights(conv, x, cl(g.Cin, g.in), dy, cl(g.Cout, g.out), dw),
      dB: () => t.bias(conv, dy, cl(g.Cout, g.out), db),
    };
    return { calls, free };
  } catch (e) {
    free();
    throw e;
  }
}
