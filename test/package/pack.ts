// vitest globalSetup: packs the package once (`pnpm pack`, as `npm publish` would ship it) for
// the tests that use the tarball as a user gets it: the package checks, the bundler fixtures
// and the runtime matrix. Tests read its path with inject("tarball").
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const PKG = fileURLToPath(new URL("../../packages/tconv3d/", import.meta.url));

declare module "vitest" {
  export interface ProvidedContext {
    /** The packed package (a .tgz path). */
    tarball: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "tconv3d-pack-"));
  execFileSync("pnpm", ["pack", "--pack-destination", dir], { cwd: PKG, stdio: "pipe" });
  const [file] = readdirSync(dir).filter((f) => f.endsWith(".tgz"));
  if (file === undefined) throw new Error(`pnpm pack wrote no tarball to ${dir}`);
  project.provide("tarball", join(dir, file));
  return () => rmSync(dir, { recursive: true, force: true });
}
