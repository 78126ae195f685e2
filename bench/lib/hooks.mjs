// Module customization hooks for the benchmark (registered by bench/lib/implementations.mjs
// with `module.register`):
//
// - resolve: a module imported as `file:...?benchInst=NAME` passes `?benchInst=NAME` on to every
//   file: module it imports (relative, bare or dynamic). ES modules are keyed by URL, so each NAME
//   gets its own copy of the whole module graph: its own tconv3d loader singleton and wasm glue,
//   or its own onnxruntime-web + onnxruntime-common (and its own `ort.env.wasm.numThreads`).
// - load: `.ts` files (the test oracle's ONNX model builder) are transpiled with TypeScript's
//   `transpileModule` (types erased, nothing else), since Node 20 cannot strip types itself.
const KEY = "benchInst";

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  const parent = context.parentURL;
  if (parent === undefined || !parent.startsWith("file:") || !result.url.startsWith("file:")) {
    return result;
  }
  const inst = new URL(parent).searchParams.get(KEY);
  if (inst === null) return result;
  const url = new URL(result.url);
  if (url.searchParams.has(KEY)) return result;
  url.searchParams.set(KEY, inst);
  return { ...result, url: url.href };
}

let ts;

export async function load(url, context, nextLoad) {
  if (url.startsWith("file:") && new URL(url).pathname.endsWith(".ts")) {
    ts ??= (await import("typescript")).default;
    const { readFile } = await import("node:fs/promises");
    const source = await readFile(new URL(url), "utf8");
    const out = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: false,
      },
      fileName: new URL(url).pathname,
    });
    return { format: "module", source: out.outputText, shortCircuit: true };
  }
  return nextLoad(url, context);
}
