import { conformanceSuite } from "./conformance.js";

conformanceSuite("simd-threads", 2);
