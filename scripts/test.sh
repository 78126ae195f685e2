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
bash scripts/test-wasm-kernels.sh
pnpm exec biome check --error-on-warnings .
pnpm exec tsc --noEmit -p tsconfig.json
# The API reference builds without warnings (typedoc comments on every export, valid links).
pnpm exec typedoc --emit none
pnpm exec vitest run
