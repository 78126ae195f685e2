import { wasmArraySuite } from "./wasm-arrays.js";

wasmArraySuite("simd", 1);
