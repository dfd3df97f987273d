import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { paths } from "./paths.js";

/** Bundles the page script (TypeScript → one browser file). The client library itself is not bundled:
 * the page loads it from `/socket.io/socket.io.js`, the way Socket.IO pages do. */
export async function buildPage(options: { minify?: boolean } = {}): Promise<string> {
  await build({
    entryPoints: [paths.pageEntry],
    outfile: paths.pageBundle,
    bundle: true,
    format: "iife",
    target: "es2020",
    platform: "browser",
    minify: options.minify ?? true,
    sourcemap: true,
    logLevel: "warning",
  });
  return paths.pageBundle;
}

// `node dist/server/build-page.js` (the package's build script).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildPage().then(
    (file) => console.log(`page bundle: ${file}`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
