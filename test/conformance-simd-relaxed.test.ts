import { conformanceSuite } from "./conformance.js";

conformanceSuite("simd-relaxed", 1);
