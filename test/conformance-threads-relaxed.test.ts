import { conformanceSuite } from "./conformance.js";

conformanceSuite("simd-threads-relaxed", 2);
