#!/usr/bin/env bash
# Builds crates/tconv3d-wasm for wasm32-unknown-unknown in two variants and runs wasm-bindgen
# (--target web) into packages/tconv3d/wasm/<variant>/ (build outputs, not committed):
#
#   simd          +simd128, single thread, no rayon pool (runs everywhere with SIMD128)
#   simd-threads  +atomics,+bulk-memory,+mutable-globals,+simd128, shared imported memory,
#                 rayon pool started from JS workers (cargo feature `threads`)
#   simd-relaxed, simd-threads-relaxed
#                 the same plus +relaxed-simd (the tiles' multiply-adds become relaxed_madd).
#                 Their JS glue must equal the base variant's (the loader uses one glue per
#                 base variant with either .wasm); the build checks that.
#
# Toolchain: Debian's rustc-web (rustc 1.96 at /usr/bin, see docs/toolchain.md),
# selected explicitly, since rust-toolchain.toml names the rustup stable used for native work.
# RUSTC_BOOTSTRAP=1 lets this stable compiler take -Z build-std (there is no prebuilt wasm32
# std; the threaded one must be rebuilt with atomics anyway).
#
# Usage: scripts/build-wasm.sh [variant ...]   (default: all four)
# Env:   TCONV3D_WASM_PROFILE=release|dev (default release), TCONV3D_WASM_OPT=0 to skip wasm-opt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PROFILE="${TCONV3D_WASM_PROFILE:-release}"
OUT_ROOT="$ROOT/packages/tconv3d/wasm"
CRATE=tconv3d-wasm
# Shared memory must declare a maximum. 4 GiB, the wasm32 limit (rustc would default to 1 GiB).
MAX_MEMORY=4294967296

die() { echo "build-wasm: $*" >&2; exit 1; }

# shellcheck source=lib/wasm-toolchain.sh
source "$ROOT/scripts/lib/wasm-toolchain.sh" wasm-bindgen

WASM_OPT=""
if [[ "${TCONV3D_WASM_OPT:-1}" != 0 ]]; then
  if command -v wasm-opt >/dev/null 2>&1; then
    WASM_OPT="$(command -v wasm-opt)"
  elif [[ -x "$ROOT/node_modules/.bin/wasm-opt" ]]; then
    WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
  fi
fi

if [[ "$PROFILE" == release ]]; then
  profile_args=(--release); profile_dir=release
else
  profile_args=(); profile_dir=debug
fi

build_variant() {
  local variant="$1" rustflags features target_dir base="${1%-relaxed}"
  case "$base" in
    simd)
      rustflags="-C linker=$LINKER -C target-feature=+simd128,+bulk-memory"
      features=()
      ;;
    simd-threads)
      # +atomics no longer implies shared memory (rust-lang/rust#147225): ask lld for it, and
      # export the TLS symbols that wasm-bindgen's thread transform requires
      # (wasm-bindgen-cli-support 0.2.130, transforms/threads/mod.rs).
      rustflags="-C linker=$LINKER -C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128"
      rustflags+=" -C link-arg=--shared-memory -C link-arg=--import-memory"
      rustflags+=" -C link-arg=--max-memory=$MAX_MEMORY"
      rustflags+=" -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size"
      rustflags+=" -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"
      features=(--features threads)
      ;;
    *) die "unknown variant '$variant' (simd | simd-threads | simd-relaxed | simd-threads-relaxed)" ;;
  esac
  if [[ "$variant" != "$base" ]]; then
    rustflags="${rustflags/+simd128/+simd128,+relaxed-simd}"
  fi
  target_dir="$ROOT/target/wasm-$variant"

  local t0=$SECONDS
  # rustc warns that `atomics` is an unstable target feature (expected: that is why
  # RUSTC_BOOTSTRAP is set); drop that one warning block from stderr, keep everything else.
  {
    RUSTFLAGS="$rustflags" "$CARGO" build --quiet "${profile_args[@]}" \
      -p "$CRATE" "${features[@]}" \
      --target "$TARGET" --target-dir "$target_dir" \
      -Z build-std=panic_abort,std 2>&1 1>&3 \
      | sed '/^warning: unstable feature specified for `-Ctarget-feature`: `atomics`/,/^$/d' >&2
  } 3>&1

  local wasm="$target_dir/$TARGET/$profile_dir/tconv3d_wasm.wasm"
  [[ -f "$wasm" ]] || die "cargo did not produce $wasm"

  local out="$OUT_ROOT/$variant"
  rm -rf "$out"
  mkdir -p "$out"
  wasm-bindgen --target web --out-dir "$out" --out-name tconv3d_wasm "$wasm"
  # What importing the .wasm gives in Cloudflare Workers and bundlers with a wasm-module rule:
  # a compiled module. `.d.wasm.ts` is TypeScript's name for a `.wasm` file's declaration (the
  # package's own sources import it with --allowArbitraryExtensions); users' imports of
  # tconv3d/wasm/*.wasm get wasm/module.d.ts from the exports' `types` condition instead.
  write_module_dts >"$out/tconv3d_wasm_bg.d.wasm.ts"
  if [[ "$variant" != "$base" && -f "$OUT_ROOT/$base/tconv3d_wasm.js" ]]; then
    cmp -s "$out/tconv3d_wasm.js" "$OUT_ROOT/$base/tconv3d_wasm.js" \
      || die "$variant: its JS glue differs from $base's, which the loader uses for both"
  fi

  if [[ -n "$WASM_OPT" ]]; then
    local opt_features=(--enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int
                        --enable-sign-ext --enable-mutable-globals --enable-reference-types
                        --enable-multivalue)
    [[ "$base" == simd-threads ]] && opt_features+=(--enable-threads)
    [[ "$variant" != "$base" ]] && opt_features+=(--enable-relaxed-simd)
    "$WASM_OPT" -O3 "${opt_features[@]}" "$out/tconv3d_wasm_bg.wasm" -o "$out/tconv3d_wasm_bg.wasm"
  fi

  printf 'build-wasm: %-12s %6s KiB  %3ds  -> %s\n' "$variant" \
    "$(( $(stat -c %s "$out/tconv3d_wasm_bg.wasm") / 1024 ))" "$((SECONDS - t0))" \
    "${out#"$ROOT"/}"
}

write_module_dts() {
  printf '%s\n' "/** A tconv3d build, compiled: pass it to init({ module }) (Workers import .wasm" \
    " * files as compiled modules). */" \
    "declare const module: WebAssembly.Module;" "export default module;"
}

mkdir -p "$OUT_ROOT"
write_module_dts >"$OUT_ROOT/module.d.ts"

variants=("$@")
((${#variants[@]})) || variants=(simd simd-threads simd-relaxed simd-threads-relaxed)
for v in "${variants[@]}"; do
  build_variant "$v"
  # The pool worker is the threaded glue plus its entry (one file, nothing to bundle).
  if [[ "$v" == simd-threads ]]; then node "$ROOT/scripts/make-pool-worker.mjs"; fi
done
