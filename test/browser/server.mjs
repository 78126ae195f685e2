// A tiny static server for the browser tests and benchmarks (plain JavaScript, so that the
// benchmark scripts can import it too; types in server.d.mts): serves files on 127.0.0.1 with
// the headers that make a page cross-origin isolated (so SharedArrayBuffer and wasm threads
// are available): COOP same-origin, COEP require-corp. Paths under /_plain/ are served without
// those headers (a page that is not cross-origin isolated).
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

/** Serves `root` (read-only, GET/HEAD, no directory listings) on an ephemeral port; with
 * `cdn`, as a CDN serves packages: readable from any origin (CORS, and a cross-origin CORP that
 * isolated pages accept); `extra`: more headers for the isolated paths (a CSP, say). */
export async function serveIsolated(root, { cdn = false, extra = {} } = {}) {
  const base = normalize(root + sep);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const plain = url.pathname.startsWith("/_plain/");
    const pathname = plain ? url.pathname.slice("/_plain".length) : url.pathname;
    const headers = plain
      ? { "Cache-Control": "no-store" }
      : {
          "Cross-Origin-Opener-Policy": "same-origin",
          "Cross-Origin-Embedder-Policy": "require-corp",
          "Cross-Origin-Resource-Policy": cdn ? "cross-origin" : "same-origin",
          ...(cdn ? { "Access-Control-Allow-Origin": "*" } : {}),
          "Cache-Control": "no-store",
          ...extra,
        };
    try {
      const path = normalize(join(base, decodeURIComponent(pathname)));
      if (!path.startsWith(base) || (req.method !== "GET" && req.method !== "HEAD")) {
        res.writeHead(403, headers).end();
        return;
      }
      const info = await stat(path).catch(() => undefined);
      if (info === undefined || !info.isFile()) {
        res.writeHead(404, headers).end();
        return;
      }
      res.writeHead(200, {
        ...headers,
        "Content-Type": TYPES[extname(path)] ?? "application/octet-stream",
        "Content-Length": info.size,
      });
      if (req.method === "HEAD") res.end();
      else createReadStream(path).pipe(res);
    } catch {
      res.writeHead(500, headers).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
