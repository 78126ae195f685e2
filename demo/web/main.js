// The page: starts the training worker, draws the loss curve and the volumes it sends, and
// watches its own main thread (a timer that should never wait long). Parameters from the URL:
// ?steps=200&size=32&batch=4&seed=1. window.__demo holds the state for the tests.
import { montage, upsample } from "../render.mjs";

const params = new URLSearchParams(location.search);
const num = (k, d) => Number(params.get(k) ?? d);
const options = {
  steps: num("steps", 200),
  size: num("size", 32),
  batchSize: num("batch", 4),
  seed: num("seed", 1),
};

const state = { backend: null, losses: [], gflops: 0, done: false, error: null, maxGapMs: 0 };
window.__demo = state;

const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });

function start() {
  state.losses = [];
  state.done = false;
  worker.postMessage(options);
}
$("restart").addEventListener("click", start);

worker.onmessage = ({ data }) => {
  if (data.type === "backend") {
    state.backend = data.info;
    const { variant, threads, fallback } = data.info;
    $("backend").textContent =
      `Backend: ${variant}, ${threads} thread${threads === 1 ? "" : "s"}` +
      (fallback ? ` (${fallback})` : "");
  } else if (data.type === "step") {
    state.losses.push(data.loss);
    state.gflops = data.gflops;
    $("status").textContent =
      `step ${data.step}/${data.steps}, loss ${data.loss.toFixed(4)} ` +
      `(first ${state.losses[0].toFixed(4)}), ${data.gflops.toFixed(2)} GFLOP/s`;
    drawLoss();
  } else if (data.type === "volumes") {
    drawVolumes(data);
  } else if (data.type === "done") {
    state.done = true;
    $("status").textContent += " — done";
  } else if (data.type === "error") {
    state.error = data.message;
    $("status").textContent = `error: ${data.message}`;
  }
};

function drawLoss() {
  const c = $("loss");
  const g = c.getContext("2d");
  const { width: w, height: h } = c;
  g.fillStyle = "#fff";
  g.fillRect(0, 0, w, h);
  const ls = state.losses.map(Math.log10);
  const hi = Math.max(...ls);
  const lo = Math.min(...ls, hi - 1);
  g.strokeStyle = "#eee";
  for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
    const y = h - 10 - ((d - lo) / (hi - lo)) * (h - 20);
    g.beginPath();
    g.moveTo(0, y);
    g.lineTo(w, y);
    g.stroke();
    g.fillStyle = "#888";
    g.fillText(`1e${d}`, 4, y - 2);
  }
  g.strokeStyle = "#3b528b";
  g.lineWidth = 1.5;
  g.beginPath();
  for (const [i, l] of ls.entries()) {
    const x = 30 + (i / Math.max(1, options.steps - 1)) * (w - 40);
    const y = h - 10 - ((l - lo) / (hi - lo || 1)) * (h - 20);
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  }
  g.stroke();
}

function drawVolumes({ size, m, input, prediction, target }) {
  const n3 = size ** 3;
  const rows = [0, 1, 2].map((b) => [
    upsample(input.subarray(b * m ** 3, (b + 1) * m ** 3), m, size),
    prediction.subarray(b * n3, (b + 1) * n3),
    target.subarray(b * n3, (b + 1) * n3),
  ]);
  const img = montage(rows, size, { scale: Math.max(1, Math.round(64 / size)) });
  const c = $("volumes");
  c.width = img.width;
  c.height = img.height;
  c.getContext("2d").putImageData(new ImageData(img.rgba, img.width, img.height), 0, 0);
}

// The main thread's own pulse: the longest wait of a 20 ms timer, and a square that turns.
let last = performance.now();
let angle = 0;
setInterval(() => {
  const now = performance.now();
  if (state.losses.length > 0 && !state.done) {
    state.maxGapMs = Math.max(state.maxGapMs, now - last - 20);
  }
  last = now;
  angle = (angle + 9) % 360;
  $("beat").style.transform = `rotate(${angle}deg)`;
}, 20);

start();
