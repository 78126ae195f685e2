// The training loop, off the page's main thread: tconv3d runs here (its own thread pool where
// the page is cross-origin isolated), and each step's loss and, now and then, the held-out
// shapes go to the page.
import { backendInfo, init } from "tconv3d";
import { FACTOR, trainer } from "../model.mjs";

let running = 0; // the run in progress: a restart makes the older loop stop

async function train({ steps, size, batchSize, seed }) {
  const run = ++running;
  await init();
  postMessage({ type: "backend", info: backendInfo() });
  const t = trainer({ size, batchSize, seed });
  const send = () => {
    const { input, prediction, target, loss } = t.evaluate(3);
    postMessage({ type: "volumes", size, m: size / FACTOR, input, prediction, target, loss }, [
      input.buffer,
      prediction.buffer,
      target.buffer,
    ]);
  };
  let ms = 0;
  let shown = 0;
  for (let s = 1; s <= steps && run === running; s++) {
    const t0 = performance.now();
    const loss = t.step();
    ms += performance.now() - t0;
    postMessage({ type: "step", step: s, steps, loss, gflops: (t.flopsPerStep * s) / ms / 1e6 });
    if (s === steps || performance.now() - shown > 700) {
      send();
      shown = performance.now();
    }
    // Let a restart message in between steps.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (run === running) postMessage({ type: "done" });
}

self.addEventListener("message", (e) => {
  train(e.data).catch((err) => postMessage({ type: "error", message: String(err?.stack ?? err) }));
});
