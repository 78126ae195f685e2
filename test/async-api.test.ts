// The async API (initWorker) in Node: a worker_threads Worker runs the backend. Its results equal
// the synchronous API's bit for bit on the same build (forward, the three gradients, an Adam and
// an SGDM step, the functional forms, f32 and f64, channels-last, groups), by value or resident
// (upload → predict → backward → download, outputs written into resident arrays); typed arrays
// are copied unless the caller asks for a transfer; errors thrown in the worker arrive as the same
// class, code and message as the synchronous API's, and the backend keeps working; terminate()
// rejects pending and later calls with a BackendError.
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type * as Tconv3d from "tconv3d";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { thrown, values } from "./helpers.js";
import { assertBuilt } from "./runtime-helpers.js";

const OPTIONS = { variant: "simd-threads", threads: 2 } as const;

let T: typeof Tconv3d;
let backend: Tconv3d.WorkerBackend;

beforeAll(async () => {
  assertBuilt();
  T = await import("tconv3d");
  await T.init(OPTIONS);
  backend = await T.initWorker(OPTIONS);
});

afterAll(() => backend?.terminate());

/** The index of the first element whose bits differ (NaN payloads and -0 included), or -1. */
function firstDifference(a: Tconv3d.FloatArray, b: Tconv3d.FloatArray): number {
  if (a.constructor !== b.constructor || a.length !== b.length) return 0;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.floor(i / a.BYTES_PER_ELEMENT);
  return -1;
}

/** `got` is `want` exactly: size, labels, precision and every bit. */
function expectSame(got: Tconv3d.DlArray | null, want: Tconv3d.DlArray | null): void {
  expect(got === null).toBe(want === null);
  if (got === null || want === null) return;
  expect(got).toBeInstanceOf(T.DlArray);
  expect({ size: got.size, format: got.format, dtype: got.dtype }).toEqual({
    size: want.size,
    format: want.format,
    dtype: want.dtype,
  });
  expect(firstDifference(got.data, want.data)).toBe(-1);
}

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

/** The remote error is the local one: same class, name, code and message. */
function expectSameError(remote: Error, local: Error): void {
  expect(remote.constructor).toBe(local.constructor);
  expect(remote).toBeInstanceOf(Error);
  expect(remote.name).toBe(local.name);
  expect((remote as { code?: unknown }).code).toBe((local as { code?: unknown }).code);
  expect(remote.message).toBe(local.message);
}

const CASES = [
  { name: "SSSCB f32", size: [5, 4, 3, 3, 2], format: "SSSCB", k: 3, f: 4, s: 2, g: 1, f64: false },
  { name: "CSSSB f64", size: [3, 5, 4, 3, 2], format: "CSSSB", k: 2, f: 5, s: 2, g: 1, f64: true },
  { name: "SSSC groups", size: [6, 5, 4, 4], format: "SSSC", k: 3, f: 6, s: 1, g: 2, f64: false },
] as const;

/** A case's input, `dLdY`-making layer and weights (deterministic). */
function fixture(c: (typeof CASES)[number]) {
  const Ctor = c.f64 ? Float64Array : Float32Array;
  const n = c.size.reduce((p, q) => p * q, 1);
  const X = new T.DlArray(values(n, 3, Ctor), c.size, c.format);
  const channels = c.format === "CSSSB" ? c.size[0] : (c.size[3] as number);
  const wSize = [c.k, c.k, c.k, c.f / c.g, channels / c.g, c.g];
  const weights = new T.DlArray(
    values(
      wSize.reduce((p, q) => p * q, 1),
      7,
      Ctor,
    ),
    wSize,
  );
  const bias = values(c.f, 11, Ctor);
  const options = { stride: c.s, cropping: 1, numGroups: c.g, weights, bias };
  return { X, options, Ctor };
}

describe("initWorker in Node", () => {
  it("loads what init() loads with the same options", () => {
    expect(backend.info).toEqual(T.backendInfo());
    expect(backend.terminated).toBe(false);
  });

  for (const c of CASES) {
    it(`forward, gradients and optimizer steps equal the synchronous API bit for bit: ${c.name}`, async () => {
      const { X, options, Ctor } = fixture(c);
      const local = T.transposedConv3dLayer(c.k, c.f, options);
      const remote = await backend.transposedConv3dLayer(c.k, c.f, options);
      expect(remote.numChannels).toBe(local.numChannels);
      expect(remote.croppingSize).toEqual(local.croppingSize);

      const Y = local.predict(X);
      expectSame(await remote.predict(X), Y);
      const dLdY = new T.DlArray(values(Y.numel, 5, Ctor), Y.size, Y.format);
      const g = local.backward(X, dLdY);
      const h = await remote.backward(X, dLdY);
      for (const k of ["dLdX", "dLdW", "dLdB"] as const) expectSame(h[k], g[k]);

      // Adam twice (the state stays in the worker), then SGDM once.
      let adam = T.adamupdate(local, g, undefined, { learnRate: 0.01 });
      adam = T.adamupdate(local, g, adam, { learnRate: 0.01 });
      const state = await backend.adamupdate(remote, h, undefined, { learnRate: 0.01 });
      expect(await backend.adamupdate(remote, h, state, { learnRate: 0.01 })).toBe(state);
      expect(state.iteration).toBe(2);
      const sgdm = T.sgdmupdate(local, g);
      const sgdmRemote = await backend.sgdmupdate(remote, h);
      expectSame(await remote.getWeights(), local.weights);
      expectSame(await remote.getBias(), local.bias);
      const [a, b] = [await state.download(), adam];
      expect(a.iteration).toBe(b.iteration);
      expect(firstDifference(a.weightAverageSqGrad, b.weightAverageSqGrad)).toBe(-1);
      expect(firstDifference(a.biasAverageGrad, b.biasAverageGrad)).toBe(-1);
      const v = await sgdmRemote.download();
      expect(firstDifference(v.weightVelocity, sgdm.weightVelocity)).toBe(-1);
      // After the steps the forward still agrees (new weights, new plans).
      expectSame(await remote.predict(X), local.predict(X));
      state.dispose();
      sgdmRemote.dispose();
      remote.dispose();
    });
  }

  it("residency: upload → predict → backward → download, outputs resident until disposed", async () => {
    const { X, options } = fixture(CASES[0]);
    const local = T.transposedConv3dLayer(3, 4, options);
    const remote = await backend.transposedConv3dLayer(3, 4, options);
    const Xr = await backend.upload(X);
    expect(Xr).toBeInstanceOf(T.RemoteArray);
    expect({ size: Xr.size, format: Xr.format, dtype: Xr.dtype }).toEqual({
      size: X.size,
      format: X.format,
      dtype: X.dtype,
    });
    const Y = local.predict(X);
    const Yr = await remote.predict(Xr);
    expect(Yr).toBeInstanceOf(T.RemoteArray);
    expectSame(await Yr.download(), Y);
    // Written into a resident array: the same object comes back.
    expect(await remote.predict(Xr, { out: Yr })).toBe(Yr);
    // Local on request; resident on request for a local input.
    expectSame(await remote.predict(Xr, { out: "local" }), Y);
    const Y2 = await remote.predict(X, { out: "remote" });
    expect(Y2).toBeInstanceOf(T.RemoteArray);

    const g = local.backward(X, Y);
    const h = await remote.backward(Xr, Yr);
    for (const k of ["dLdX", "dLdW", "dLdB"] as const) {
      expect(h[k]).toBeInstanceOf(T.RemoteArray);
      expectSame(await h[k].download(), g[k]);
    }
    // Some gradients into given arrays, the others new; then an Adam step on resident ones.
    const h2 = await remote.backward(Xr, Y2, { out: { dLdW: h.dLdW } });
    expect(h2.dLdW).toBe(h.dLdW);
    expect(h2.dLdX).not.toBe(h.dLdX);
    expectSame(await h2.dLdX.download(), g.dLdX);
    const state = await backend.adamupdate(remote, h2);
    T.adamupdate(local, g);
    expectSame(await remote.getWeights(), local.weights);
    state.dispose();

    // Functional forms, resident and by value.
    const W = local.weights as Tconv3d.DlArray;
    const Wr = await backend.upload(W);
    const Z = T.dltranspconv(X, W, 0.5, { stride: 2, cropping: 1 });
    expectSame(await backend.dltranspconv(X, W, 0.5, { stride: 2, cropping: 1 }), Z);
    const Zr = await backend.dltranspconv(Xr, Wr, 0.5, { stride: 2, cropping: 1 });
    expect(Zr).toBeInstanceOf(T.RemoteArray);
    expectSame(await Zr.download(), Z);
    const G = T.dltranspconvBackward(X, W, Z, { stride: 2, cropping: 1 });
    const Gr = await backend.dltranspconvBackward(Xr, Wr, Zr, { stride: 2, cropping: 1 });
    for (const k of ["dLdX", "dLdW", "dLdB"] as const) expectSame(await Gr[k].download(), G[k]);
    const Gl = await backend.dltranspconvBackward(X, W, Z, { stride: 2, cropping: 1 });
    for (const k of ["dLdX", "dLdW", "dLdB"] as const) expectSame(Gl[k], G[k]);

    // Disposed: a clear error here, and the worker freed it.
    Yr.dispose();
    expect(Yr.disposed).toBe(true);
    const e = await rejection(Yr.download());
    expect(e).toBeInstanceOf(T.BackendError);
    expect((e as Tconv3d.BackendError).code).toBe("TCONV3D_DISPOSED");
    const e2 = await rejection(remote.predict(Xr, { out: Yr }));
    expect((e2 as Tconv3d.BackendError).code).toBe("TCONV3D_DISPOSED");
    for (const a of [Xr, Y2, Wr, Zr, h.dLdX, h.dLdW, h.dLdB, h2.dLdX, h2.dLdB]) a.dispose();
    for (const a of Object.values(Gr)) a.dispose();
  });

  it("copies typed arrays by default and transfers them (detaching them here) only when asked", async () => {
    const { X, options } = fixture(CASES[0]);
    const remote = await backend.transposedConv3dLayer(3, 4, options);
    const Y = await remote.predict(X);
    expect(X.data.length).toBe(X.numel);
    const X2 = new T.DlArray(X.data.slice(), X.size, X.format);
    expectSame(await remote.predict(X2, { transfer: true }), Y);
    expect(X2.data.buffer.byteLength).toBe(0);
    expect(X2.data.length).toBe(0);
    // upload: the same.
    const X3 = new T.DlArray(X.data.slice(), X.size, X.format);
    const X3r = await backend.upload(X3);
    expect(X3.data.length).toBe(X.numel);
    const X4r = await backend.upload(X3, { transfer: true });
    expect(X3.data.length).toBe(0);
    expectSame(await X4r.download(), await X3r.download());
    // A view of part of a larger buffer is copied alone by default.
    const big = new Float32Array(X.numel + 100);
    big.set(X.data, 50);
    const view = new T.DlArray(big.subarray(50, 50 + X.numel), X.size, X.format);
    expectSame(await remote.predict(view), Y);
    expect(big.length).toBe(X.numel + 100);
    // Outputs come as arrays of their own.
    expect(Y.data.byteLength).toBe(Y.data.buffer.byteLength);
    for (const a of [X3r, X4r]) a.dispose();
  });

  it("errors in the worker arrive as the synchronous API's (class, code, message); the backend keeps working", async () => {
    const { X, options } = fixture(CASES[0]);
    const local = T.transposedConv3dLayer(3, 4, options);
    const remote = await backend.transposedConv3dLayer(3, 4, options);
    const bad = new T.DlArray(new Float32Array(2 * 2 * 2 * 5), [2, 2, 2, 5], "SSSC");
    expectSameError(
      await rejection(remote.predict(bad)),
      thrown(() => local.predict(bad)),
    );
    const dLdY = new T.DlArray(new Float32Array(8), [2, 2, 2, 1], "SSSC");
    expectSameError(
      await rejection(remote.backward(X, dLdY)),
      thrown(() => local.backward(X, dLdY)),
    );
    expectSameError(
      await rejection(backend.transposedConv3dLayer(3, 4, { stride: 0 })),
      thrown(() => T.transposedConv3dLayer(3, 4, { stride: 0 })),
    );
    expectSameError(
      await rejection(backend.dltranspconv(X, local.weights as Tconv3d.DlArray, 0, { stride: -1 })),
      thrown(() => T.dltranspconv(X, local.weights as Tconv3d.DlArray, 0, { stride: -1 })),
    );
    expectSameError(
      await rejection(remote.setProperties({ weightLearnRateFactor: -1 })),
      thrown(() => {
        local.weightLearnRateFactor = -1;
      }),
    );
    expectSameError(
      await rejection(
        backend.adamupdate(remote, { dLdW: new Float32Array(3), dLdB: new Float32Array(4) }),
      ),
      thrown(() => T.adamupdate(local, { dLdW: new Float32Array(3), dLdB: new Float32Array(4) })),
    );
    // init() in the worker: the same validation as here.
    expectSameError(
      await rejection(T.initWorker({ threads: 0 })),
      await rejection(T.init({ threads: 0 })),
    );
    // Still working, and the failed setProperties changed nothing.
    expectSame(await remote.predict(X), local.predict(X));
    expect(remote.weightLearnRateFactor).toBe(1);
    await remote.setProperties({ name: "up1", weightL2Factor: 0.5 });
    expect([remote.name, remote.weightL2Factor]).toEqual(["up1", 0.5]);
    // Client-side checks use the package's classes too.
    const f = await rejection(
      backend.transposedConv3dLayer(3, 4, { weightsInitializer: () => new Float32Array(1) }),
    );
    expect(f).toBeInstanceOf(T.ArgumentError);
    expect(f.message).toMatch(/cannot be sent to the worker/);
    expect(await rejection(remote.predict(X, { out: "wasm" as "remote" }))).toBeInstanceOf(
      T.ArgumentError,
    );
  });

  it("weights files, properties and the display go through the worker", async () => {
    const { X, options } = fixture(CASES[0]);
    const local = T.transposedConv3dLayer(3, 4, options);
    const remote = await backend.transposedConv3dLayer(3, 4, options);
    const names = { weight: "w", bias: "b" };
    const bytes = await remote.saveWeights(names);
    expect(bytes).toEqual(local.saveWeights(names));
    const fresh = await backend.transposedConv3dLayer(3, 4, { stride: 2, cropping: 1 });
    expect(fresh.initialized).toBe(false);
    await fresh.loadWeights(bytes, names);
    expect(fresh.initialized).toBe(true);
    expect(fresh.numChannels).toBe(3);
    expectSame(await fresh.predict(X), local.predict(X));
    expect(await remote.describe()).toBe(local.toString());
    const lazy = await backend.transposedConv3dLayer(3, 4, { weightsInitializer: "zeros" });
    expect(lazy.numChannels).toBe("auto");
    await lazy.initialize(X);
    expect(lazy.numChannels).toBe(3);
    expect((await lazy.getWeights())?.data.every((v) => v === 0)).toBe(true);
  });

  it("backends with different thread counts run side by side", async () => {
    const one = await T.initWorker({ variant: "simd-threads", threads: 1 });
    try {
      expect(one.info).toMatchObject({ variant: "simd-threads", threads: 1 });
      const { X, options } = fixture(CASES[0]);
      const a = await one.transposedConv3dLayer(3, 4, options);
      const b = await backend.transposedConv3dLayer(3, 4, options);
      expectSame(await a.predict(X), await b.predict(X));
      const Xr = await backend.upload(X);
      const e = await rejection(a.predict(Xr));
      expect(e).toBeInstanceOf(T.ArgumentError);
      expect(e.message).toMatch(/another worker backend/);
    } finally {
      one.terminate();
    }
  });

  it("init options reach the worker: a relative wasmPaths, a compiled module, the worker's path", async () => {
    const { X, options } = fixture(CASES[0]);
    const want = T.transposedConv3dLayer(3, 4, options).predict(X);
    const wasm = readFileSync(
      new URL("../packages/tconv3d/wasm/simd/tconv3d_wasm_bg.wasm", import.meta.url),
    );
    const tries = [
      // Relative to the working directory (the repository here), as init() resolves it.
      {
        variant: "simd",
        threads: 1,
        wasmPaths: relative(
          process.cwd(),
          fileURLToPath(new URL("../packages/tconv3d/wasm", import.meta.url)),
        ),
      },
      { module: await WebAssembly.compile(wasm) },
      {
        variant: "simd",
        threads: 1,
        apiWorkerUrl: fileURLToPath(
          new URL("../packages/tconv3d/dist/async/worker-node.js", import.meta.url),
        ),
      },
    ] as const;
    for (const init of tries) {
      const b = await T.initWorker(init);
      try {
        expect(b.info).toMatchObject({ variant: "simd", threads: 1 });
        expectSame(await (await b.transposedConv3dLayer(3, 4, options)).predict(X), want);
      } finally {
        b.terminate();
      }
    }
  });

  it("a worker script that does not exist fails with BackendError TCONV3D_WORKER", async () => {
    const e = await rejection(T.initWorker({ apiWorkerUrl: "/nonexistent/worker.js" }));
    expect(e).toBeInstanceOf(T.BackendError);
    expect((e as Tconv3d.BackendError).code).toBe("TCONV3D_WORKER");
  });

  it("terminate() rejects pending and later calls with a clear BackendError", async () => {
    const b = await T.initWorker(OPTIONS);
    const { X, options } = fixture(CASES[0]);
    const layer = await b.transposedConv3dLayer(3, 4, options);
    const Xr = await b.upload(X);
    const pending = layer.predict(X);
    b.terminate();
    b.terminate(); // idempotent
    expect(b.terminated).toBe(true);
    const calls = [pending, layer.predict(X), b.upload(X), Xr.download()];
    for (const s of await Promise.allSettled(calls)) {
      expect(s.status).toBe("rejected");
      const e = (s as PromiseRejectedResult).reason as Error;
      expect(e).toBeInstanceOf(T.BackendError);
      expect((e as Tconv3d.BackendError).code).toBe("TCONV3D_WORKER");
      expect(e.message).toMatch(/terminated \(terminate\(\)\); start another with initWorker\(\)/);
    }
    expect(Xr.disposed).toBe(true);
    Xr.dispose(); // a no-op
    const e = await rejection(b.transposedConv3dLayer(3, 4));
    expect((e as Tconv3d.BackendError).code).toBe("TCONV3D_WORKER");
  });
});
