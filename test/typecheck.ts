// Type-checks TypeScript files against the built package, as a user's project would see it:
// the repository's compiler options (strict, noUncheckedIndexedAccess, NodeNext), "tconv3d"
// resolved to packages/tconv3d/dist/index.d.ts. Used by types.test.ts (the type tests) and
// readme.test.ts (the README's code blocks). The compiler API, not a tsc process: one program
// for all files, and diagnostics with their positions.
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The entry of the package's types, which `"tconv3d"` resolves to. */
export const PACKAGE_TYPES = `${ROOT}packages/tconv3d/dist/index.d.ts`;

/** One compiler error: where, its TS code and its message. */
export interface Diagnostic {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly code: number;
  readonly message: string;
}

/** The repository's compiler options (tsconfig.json), for checking only. */
function options(): ts.CompilerOptions {
  const configPath = `${ROOT}tsconfig.json`;
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (config.error)
    throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, configPath);
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    typeRoots: [`${ROOT}node_modules/@types`],
    // A file outside the repository has no node_modules to find the package in.
    paths: { tconv3d: [PACKAGE_TYPES] },
  };
}

/**
 * The errors of checking `files` together (absolute paths), plus any `extra` declaration files
 * (ambient modules a runtime provides). Errors inside the package's own declarations count too:
 * a user would see them.
 */
export function typecheck(files: readonly string[], extra: readonly string[] = []): Diagnostic[] {
  const program = ts.createProgram([...files, ...extra], options());
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file === undefined || d.start === undefined) {
      return { file: "", line: 0, column: 0, code: d.code, message: text };
    }
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return {
      file: d.file.fileName,
      line: line + 1,
      column: character + 1,
      code: d.code,
      message: text,
    };
  });
}

/** `path:line:column - TS1234: message`, one per line. */
export function format(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => `${d.file}:${d.line}:${d.column} - TS${d.code}: ${d.message}`)
    .join("\n");
}
