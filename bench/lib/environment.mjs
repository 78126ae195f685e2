// What a benchmark ran on: the CPU, the commit and wasm builds measured, the peers' versions.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The CPU's model and its SIMD flags that matter here. */
export function cpuInfo() {
  let model = os.cpus()[0]?.model ?? "unknown";
  let flags = "";
  try {
    const txt = readFileSync("/proc/cpuinfo", "utf8");
    model = /^model name\s*:\s*(.*)$/m.exec(txt)?.[1]?.trim() ?? model;
    const f = new Set((/^flags\s*:\s*(.*)$/m.exec(txt)?.[1] ?? "").split(/\s+/));
    flags = ["sse4_2", "avx", "avx2", "fma", "avx512f"].filter((x) => f.has(x)).join(" ");
  } catch {}
  return { model, flags };
}

/** The commit, and the uncommitted paths that may be in the measured build. */
export function gitInfo() {
  try {
    const git = (...a) => execFileSync("git", a, { cwd: ROOT }).toString().trimEnd();
    const head = git("rev-parse", "--short=12", "HEAD");
    // Uncommitted changes that may be in the measured build (not this benchmark's own files).
    const dirty = git(
      "status",
      "--porcelain",
      "--",
      "crates",
      "packages",
      "Cargo.toml",
      "Cargo.lock",
      "scripts",
    )
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3));
    if (dirty.length === 0) return head;
    const list =
      dirty.slice(0, 6).join(", ") + (dirty.length > 6 ? `, … (${dirty.length} paths)` : "");
    return `${head} + uncommitted changes (${list})`;
  } catch {
    return "unknown";
  }
}

/** Size, hash and date of a variant's `.wasm` as found now. */
export function wasmBuildInfo(variant) {
  const p = join(ROOT, "packages", "tconv3d", "wasm", variant, "tconv3d_wasm_bg.wasm");
  try {
    const bytes = readFileSync(p);
    const sha = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
    return `${variant}: ${(bytes.length / 1024).toFixed(0)} KiB, sha256 ${sha}…, built ${statSync(p).mtime.toISOString()}`;
  } catch {
    return `${variant}: not built`;
  }
}

/** The installed version of package `name`. */
export function pkgVersion(name) {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve(name)));
    while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}
