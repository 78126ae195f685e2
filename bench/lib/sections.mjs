// BENCHMARKS.md has one section per generator that owns it: bench/lib/report.mjs writes the
// file from bench/run.mjs's results, and other scripts (bench/async.mjs) each own a block
// between `<!-- NAME:start -->` and `<!-- NAME:end -->`, which the report renders from their
// results where it has them and otherwise carries over when it rewrites the rest.

import { existsSync, readFileSync, writeFileSync } from "node:fs";

const START = (name) => `<!-- ${name}:start -->`;
const END = (name) => `<!-- ${name}:end -->`;
const BLOCK = /<!-- ([\w:-]+):start -->[\s\S]*?<!-- \1:end -->\n?/g;

/** `doc` with the block `name` set to `body` (appended when absent). */
export function replaceSection(doc, name, body) {
  const block = `${START(name)}\n${body.trim()}\n${END(name)}\n`;
  const at = doc.indexOf(START(name));
  if (at < 0) return `${doc.trimEnd()}\n\n${block}`;
  const end = doc.indexOf(END(name), at);
  if (end < 0) throw new Error(`${START(name)} without ${END(name)}`);
  return doc.slice(0, at) + block + doc.slice(end + END(name).length).replace(/^\n/, "");
}

/** `fresh` followed by the blocks of `previous` that `fresh` lacks. */
export function carrySections(previous, fresh) {
  let doc = fresh;
  for (const m of previous.matchAll(BLOCK)) {
    if (!doc.includes(START(m[1]))) doc = `${doc.trimEnd()}\n\n${m[0].trimEnd()}\n`;
  }
  return doc;
}

/** Sets the block `name` of the file `path` (created when missing) to `body`. */
export function writeSection(path, name, body) {
  const doc = existsSync(path) ? readFileSync(path, "utf8") : "";
  writeFileSync(path, replaceSection(doc, name, body));
}
