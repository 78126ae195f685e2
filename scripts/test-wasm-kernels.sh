#!/usr/bin/env bash
# Runs tconv3d-core's tests (tests/*.rs: every fast path exactly against the reference loops,
# the gradient identities, the geometry) on wasm32-unknown-unknown, where the core compiles
# the SIMD128 tiles that ship (src/kernels/simd128.rs) instead of the portable ones that
# `cargo test` runs natively. wasm-bindgen-test-runner runs each test binary in Node.
#
#   simd      +simd128,+bulk-memory               (the `simd` build's features)
#   relaxed   the same plus +relaxed-simd         (the tiles' multiply-adds become relaxed_madd;
#             Node 20 needs --experimental-wasm-relaxed-simd, passed through NODE_ARGS)
#
# Each sets TCONV3D_EXPECT_KERNELS, which tests/kernels.rs checks against
# tconv3d_core::kernels::IMPLEMENTATION, so a run that compiled the portable tiles fails.
# Single-threaded: the `parallel` feature needs the threaded build's atomics and a worker pool,
# which the Node test runner does not start.
#
# Toolchain: as scripts/build-wasm.sh (Debian's rustc-web by absolute path, RUSTC_BOOTSTRAP=1
# for -Z build-std; see docs/toolchain.md). Target directories: target/wasm-test-<variant>.
#
# Usage: scripts/test-wasm-kernels.sh [variant ...] [-- cargo test args]  (default: both)
#   e.g. scripts/test-wasm-kernels.sh simd -- --test kernels
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

die() { echo "test-wasm-kernels: $*" >&2; exit 1; }

# shellcheck source=lib/wasm-toolchain.sh
source "$ROOT/scripts/lib/wasm-toolchain.sh" wasm-bindgen-test-runner
command -v node >/dev/null 2>&1 || die "node not on PATH"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner

variants=()
while (($#)) && [[ "$1" != -- ]]; do variants+=("$1"); shift; done
[[ "${1:-}" == -- ]] && shift
cargo_args=("$@")
((${#cargo_args[@]})) || cargo_args=(--tests)
((${#variants[@]})) || variants=(simd relaxed)

run_variant() {
  local variant="$1" features node_args="" expect
  case "$variant" in
    simd) features="+simd128,+bulk-memory"; expect=simd128 ;;
    relaxed)
      features="+simd128,+relaxed-simd,+bulk-memory"; expect="simd128+relaxed-simd"
      # Node 22+ has relaxed SIMD on by default and accepts the flag all the same.
      node_args="--experimental-wasm-relaxed-simd"
      ;;
    *) die "unknown variant '$variant' (simd | relaxed)" ;;
  esac
  local t0=$SECONDS
  echo "test-wasm-kernels: $variant ($features), tiles $expect"
  RUSTFLAGS="-C linker=$LINKER -C target-feature=$features" \
    TCONV3D_EXPECT_KERNELS="$expect" NODE_ARGS="$node_args" \
    "$CARGO" test --release -p tconv3d-core \
    --target "$TARGET" --target-dir "$ROOT/target/wasm-test-$variant" \
    -Z build-std=panic_abort,std -Z panic-abort-tests "${cargo_args[@]}"
  printf 'test-wasm-kernels: %-8s passed in %ds\n' "$variant" "$((SECONDS - t0))"
}

for v in "${variants[@]}"; do run_variant "$v"; done
