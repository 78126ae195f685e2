import { conformanceSuite } from "./conformance.js";

conformanceSuite("simd", 1);
