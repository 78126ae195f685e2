# The wasm-bindgen version the crates pin (crates/*/Cargo.toml: wasm-bindgen = "=..."); the
# CLI (wasm-bindgen, wasm-bindgen-test-runner) must be exactly this. Sourced by the scripts.
WASM_BINDGEN_VERSION=0.2.130
