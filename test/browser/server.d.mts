// Types of server.mjs.

/** A running static server. */
export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves `root` on an ephemeral port on 127.0.0.1, cross-origin isolated (COOP/COEP) except
 * under /_plain/; `cdn`: readable from any origin; `extra`: more headers for isolated paths. */
export function serveIsolated(
  root: string,
  options?: { cdn?: boolean; extra?: Record<string, string> },
): Promise<StaticServer>;
