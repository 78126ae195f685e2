// Installs the packed package into a scratch project the way npm does for a dependency-free
// package: the tarball's `package/` folder becomes node_modules/tconv3d.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A new project folder (under the system's temp dir) with the tarball installed. */
export function projectWith(tarball: string, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tconv3d-${prefix}-`));
  const target = join(dir, "node_modules", "tconv3d");
  mkdirSync(target, { recursive: true });
  execFileSync("tar", ["xzf", tarball, "-C", target, "--strip-components=1"]);
  return dir;
}
