// Writes the npm package's README (packages/tconv3d/README.md) from the repository's: the
// same text without the blocks marked repository-only (set-up commands, development notes),
// with links into the repository made absolute, since npm shows the file outside it.
// Run by the package's `prepack`.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}packages/tconv3d/package.json`, "utf8"));
const repo = pkg.repository.url.replace(/^git\+/, "").replace(/\.git$/, "");
const blob = `${repo}/blob/main/`;

const text = readFileSync(`${root}README.md`, "utf8")
  .replace(/<!-- repository-only:start -->[\s\S]*?<!-- repository-only:end -->\n*/g, "")
  // Relative Markdown links (not http:, not #anchors) point into the repository.
  .replace(/\]\((?![a-z]+:|#)([^)]+)\)/g, (_, path) => `](${blob}${path})`);
if (text.includes("repository-only"))
  throw new Error("README.md: unbalanced repository-only markers");
writeFileSync(`${root}packages/tconv3d/README.md`, text);
