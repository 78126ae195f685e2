/**
 * The async API in Cloudflare Workers (workerd): not available, since a Worker there cannot
 * start threads; the synchronous API runs instead.
 *
 * @module
 * @internal
 */

import { BackendError } from "../errors.js";
import type { ApiWorkerHost } from "./spawn.js";

/** The Workers spawner: refuses with a clear error. */
export const workerdApiWorkerHost: ApiWorkerHost = {
  spawn(): never {
    throw new BackendError(
      "TCONV3D_INIT",
      "tconv3d: initWorker() is not available in Cloudflare Workers, which cannot start worker " +
        "threads; use init() and the synchronous API there",
    );
  },
  resolve(location: string | URL): URL {
    return location instanceof URL ? location : new URL(location);
  },
};
