// Vite and webpack: nothing tconv3d-specific (they emit the .wasm files the package names).
import { run } from "./app.js";

run();
