// A dedicated (module) Worker that hosts the runtime, as an app would to keep the page's
// main thread free while rayon's pool computes.
import { probe } from "./probe.js";

self.onmessage = async (event) => {
  try {
    self.postMessage({ ok: true, result: await probe(event.data) });
  } catch (error) {
    self.postMessage({ ok: false, error: String(error?.stack ?? error) });
  }
};
