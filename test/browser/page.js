import { probe } from "./probe.js";

const params = new URLSearchParams(location.search);
const threads = params.get("threads") ?? "auto";
const options = {
  variant: params.get("variant") ?? "auto",
  threads: threads === "auto" ? "auto" : Number(threads),
};

function inWorker() {
  return new Promise((resolve) => {
    const worker = new Worker(new URL("./host-worker.js", import.meta.url), { type: "module" });
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => resolve({ ok: false, error: `worker error: ${event.message}` });
    worker.postMessage(options);
  });
}

async function onMain() {
  try {
    return { ok: true, result: await probe(options) };
  } catch (error) {
    return { ok: false, error: String(error?.stack ?? error) };
  }
}

window.__tconv3dResult = params.get("mode") === "worker" ? inWorker() : onMain();
