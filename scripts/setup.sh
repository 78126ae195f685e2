#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine (run as root; Node 20 + npm present).
# Installs what the wasm build and the tests need, and nothing that is already there:
#   - Debian's rustc-web toolchain (rustc/cargo 1.96, library sources) and lld-22 (whose
#     wasm-ld-22 links the wasm32 builds), see docs/toolchain.md;
#   - chromium (the browser test drives it through playwright-core; never a downloaded browser);
#   - a rustup link `debweb` -> /usr when rustup exists;
#   - pnpm (pinned) and wasm-bindgen-cli (must equal the wasm-bindgen crate version; its
#     wasm-bindgen-test-runner runs the core's tests on wasm32, scripts/test-wasm-kernels.sh).
set -euo pipefail

PNPM_VERSION=12.4.2
# shellcheck source=lib/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/versions.sh"

log() { printf 'setup: %s\n' "$*"; }

# `cargo install` puts wasm-bindgen here; the build finds it here even when PATH lacks it.
export PATH="$PATH:${CARGO_HOME:-$HOME/.cargo}/bin"

# --- Debian packages ---------------------------------------------------------------------
apt_pkgs=(rustc-web cargo-web rust-web-src libstd-rust-web-dev lld-22 chromium)
missing=()
for p in "${apt_pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# lld-22 ships wasm-ld-22, not the `rust-lld` that rustc's wasm32 target calls by default;
# scripts/build-wasm.sh names wasm-ld-22 as the linker, so nothing is linked into /usr/bin.
if [[ ! -x /usr/bin/wasm-ld-22 ]]; then
  echo "setup: /usr/bin/wasm-ld-22 is missing after installing lld-22" >&2
  exit 1
fi

# --- rustup link (optional convenience: `cargo +debweb ...`) -------------------------------
if command -v rustup >/dev/null 2>&1; then
  if ! rustup toolchain list 2>/dev/null | grep -q '^debweb'; then
    log "rustup toolchain link debweb /usr"
    rustup toolchain link debweb /usr
  fi
fi

# --- pnpm ----------------------------------------------------------------------------------
if ! command -v pnpm >/dev/null 2>&1; then
  log "npm i -g -E pnpm@${PNPM_VERSION}"
  npm i -g -E "pnpm@${PNPM_VERSION}" >/dev/null
fi

# --- wasm-bindgen-cli ----------------------------------------------------------------------
# Must match the `wasm-bindgen` crate pinned in crates/tconv3d-wasm/Cargo.toml exactly.
have_wb=""
if command -v wasm-bindgen >/dev/null 2>&1; then
  have_wb="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
fi
if [[ "$have_wb" != "$WASM_BINDGEN_VERSION" ]]; then
  log "cargo install wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (was: ${have_wb:-none}; takes a few minutes)"
  # Build it with whichever cargo is on PATH (rustup's stable or Debian's), for the host, from
  # outside the repo so rust-toolchain.toml plays no part. `--locked` first; the crates.io
  # mirror here lacks one locked crate (webpki-roots 1.0.11, pulled in by ureq), so fall back
  # to a fresh resolution within the same semver ranges when the locked install fails.
  if ! (cd / && cargo install wasm-bindgen-cli --version "=${WASM_BINDGEN_VERSION}" --locked --quiet); then
    log "--locked install failed; retrying without --locked"
    (cd / && cargo install wasm-bindgen-cli --version "=${WASM_BINDGEN_VERSION}" --quiet)
  fi
fi
if ! command -v wasm-bindgen >/dev/null 2>&1; then
  echo "setup: wasm-bindgen is not on PATH (add \$HOME/.cargo/bin to PATH)" >&2
  exit 1
fi

log "ok (rustc-web $(/usr/bin/rustc --version | awk '{print $2}'), wasm-bindgen $(wasm-bindgen --version | awk '{print $2}'), pnpm $(pnpm --version))"
