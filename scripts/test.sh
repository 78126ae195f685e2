#!/usr/bin/env bash
# Every check of the project, in the order a failure is cheapest to find: Rust formatting and
# lints, the core's native tests (single-threaded and with rayon), the same tests on wasm32 with
# the SIMD128 tiles (and with relaxed SIMD) in Node, the TypeScript lint, then the package's
# tests (vitest: Node with every WASM variant, Chromium, workerd through Miniflare).
# Expects `pnpm build` first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p tconv3d-core --all-targets --features parallel -- -D warnings
cargo test -p tconv3d-core --release
cargo test -p tconv3d-core --release --features parallel
# The crate as published: its page (the README, whose example `cargo test` runs) documents
# without warnings, its file list holds only what a user needs, and the example runs.
RUSTDOCFLAGS="-D warnings" cargo doc -p tconv3d-core --no-deps --quiet
listing="$(cargo package -p tconv3d-core --list --allow-dirty 2>&1)"
if grep -qvE '^(\.cargo_vcs_info\.json|Cargo\.(toml|toml\.orig|lock)|LICENSE-(MIT|APACHE)|README\.md|(src|tests|examples|benches)/.*\.rs)$' <<<"$listing"; then
  echo "cargo package lists unexpected files or warnings:" >&2
  echo "$listing" >&2
  exit 1
fi
cargo run --release --quiet -p tconv3d-core --features parallel --example upsample
bash scripts/test-wasm-kernels.sh
pnpm exec biome check --error-on-warnings .
pnpm exec tsc --noEmit -p tsconfig.json
# The API reference builds without warnings (typedoc comments on every export, valid links).
pnpm exec typedoc --emit none
pnpm exec vitest run
