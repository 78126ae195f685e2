// A Node app bundled into one file (esbuild --platform=node): the package's files are not
// beside the bundle, so init() must say how to point at them, and work once told.
import { backendInfo, init } from "tconv3d";

const [wasmPaths] = process.argv.slice(2);
try {
  await init(wasmPaths === undefined ? {} : { wasmPaths });
  console.log(JSON.stringify({ ok: true, info: backendInfo() }));
} catch (error) {
  console.log(
    JSON.stringify({ ok: false, name: error.name, code: error.code, error: error.message }),
  );
}
