// A Cloudflare Worker that asks for the async API: workerd cannot start threads, so initWorker()
// must reject with a BackendError that says so (test/workers-async.test.ts runs it).
import { initWorker } from "tconv3d";

export default {
  async fetch() {
    try {
      await initWorker();
      return Response.json({ ok: true });
    } catch (e) {
      return Response.json({ ok: false, name: e?.name, code: e?.code, message: e?.message });
    }
  },
};
