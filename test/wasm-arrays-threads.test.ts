import { wasmArraySuite } from "./wasm-arrays.js";

wasmArraySuite("simd-threads", 2);
