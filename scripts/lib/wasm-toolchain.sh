# Sourced by scripts/build-wasm.sh and scripts/test-wasm-kernels.sh: selects the toolchain for
# wasm32 (see docs/toolchain.md). Expects `die` to be defined; sets RUSTC, CARGO, LINKER,
# TARGET (and WASM_BINDGEN_VERSION, from versions.sh), and checks that `$1` (wasm-bindgen or
# wasm-bindgen-test-runner) is the version the crates pin.

# shellcheck source=versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/versions.sh"
TARGET=wasm32-unknown-unknown

# Debian's rustc-web by absolute path: works with or without rustup (and whatever rustup's
# proxies would pick); RUSTUP_TOOLCHAIN is set too, for any rustup proxy a build script calls.
export RUSTC=/usr/bin/rustc
CARGO=/usr/bin/cargo
[[ -x $RUSTC && -x $CARGO ]] || die "Debian's rustc-web/cargo-web are missing: run scripts/setup.sh"
# Debian's lld-22 provides wasm-ld-22, not the `rust-lld` rustc's wasm32 target would call.
LINKER=/usr/bin/wasm-ld-22
[[ -x $LINKER ]] || die "$LINKER is missing (lld-22): run scripts/setup.sh"
if command -v rustup >/dev/null 2>&1 && rustup toolchain list 2>/dev/null | grep -q '^debweb'; then
  export RUSTUP_TOOLCHAIN=debweb
fi
unset RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS RUSTDOCFLAGS
# Lets this stable compiler take -Z build-std (there is no prebuilt wasm32 std).
export RUSTC_BOOTSTRAP=1
# cargo-web ships as /usr/bin/cargo, but without this it might look for rustdoc etc. elsewhere.
export PATH="/usr/bin:$PATH:${CARGO_HOME:-$HOME/.cargo}/bin"

command -v "$1" >/dev/null 2>&1 || die "$1 not on PATH (wasm-bindgen-cli): run scripts/setup.sh"
wb_version="$("$1" --version | awk '{print $2}')"
[[ "$wb_version" == "$WASM_BINDGEN_VERSION" ]] \
  || die "$1 is $wb_version, the crates pin $WASM_BINDGEN_VERSION: run scripts/setup.sh"
