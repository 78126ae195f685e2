// Command-line flags of the bench scripts: `--flag`, `--flag value` or `--flag=value`.

import { readFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Calls `on(flag, value, path)` for each flag of `argv` (`script` names the script in
 * messages; a bare `--`, which `pnpm <script> -- ...` may pass on, is skipped): `flag` without
 * any `=value`, `value()` reads its value (after `=`, else the next argument), `path()` reads
 * the value as a path against the working directory, `null` for `-`.
 */
export function eachFlag(argv, script, on) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") continue;
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const value = () => {
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`${script}: ${a} needs a value`);
      return argv[++i];
    };
    const path = () => {
      const v = value();
      return v === "-" ? null : resolvePath(process.cwd(), v);
    };
    on(eq >= 0 ? a.slice(0, eq) : a, value, path);
  }
}

/** Prints the header comment of the script at `moduleUrl` (its usage) and exits. */
export function printUsage(moduleUrl) {
  const lines = readFileSync(fileURLToPath(moduleUrl), "utf8").split("\n");
  const header = lines.slice(lines[0]?.startsWith("#!") ? 1 : 0);
  const end = header.findIndex((l) => l.trim() !== "" && !l.startsWith("//"));
  console.log(
    header
      .slice(0, end < 0 ? header.length : end)
      .map((l) => l.replace(/^\/\/ ?/, ""))
      .join("\n")
      .trim(),
  );
  process.exit(0);
}
