// A static server for the browser benchmarks: the repository's files on 127.0.0.1 with the
// headers that make a page cross-origin isolated (SharedArrayBuffer and WebAssembly threads
// need them). The same headers as test/browser/server.ts, which the tests use.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
};

const HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/** Serves `root` read-only on an ephemeral port: `{ origin, close() }`. */
export async function serveIsolated(root) {
  const base = normalize(root + sep);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = normalize(join(base, decodeURIComponent(url.pathname)));
    const info = path.startsWith(base) ? await stat(path).catch(() => null) : null;
    if (info === null || !info.isFile() || req.method !== "GET") {
      res.writeHead(404, HEADERS).end();
      return;
    }
    res.writeHead(200, {
      ...HEADERS,
      "Content-Type": TYPES[extname(path)] ?? "application/octet-stream",
      "Content-Length": info.size,
    });
    createReadStream(path).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
