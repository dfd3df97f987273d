// Browser client size, min+gzip: @volley/client's bundle vs socket.io-client's dist/socket.io.min.js.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export interface BundleSide {
  file: string;
  /** How the file came to be: the package's own build, or a fallback bundle made here. */
  source: string;
  minBytes: number;
  gzipBytes: number;
}

export interface BundleResult {
  volley?: BundleSide;
  volleyError?: string;
  reference?: BundleSide;
  referenceError?: string;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const VOLLEY_BUNDLE = join(ROOT, "packages/client/dist/volley.min.js");
const VOLLEY_ENTRY = join(ROOT, "packages/client/src/index.ts");

/** Newest modification time of the files under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function measure(file: string, source: string, code: Uint8Array): BundleSide {
  // Level 9, as servers and CDNs serve static bundles.
  return { file, source, minBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/** Until the client package builds its own bundle, bundle its sources the way a browser build would. */
async function fallbackVolleyBundle(): Promise<BundleSide> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [VOLLEY_ENTRY],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    conditions: ["volley-source"],
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  return measure(
    VOLLEY_ENTRY,
    "esbuild of packages/client/src by the bench (no dist/volley.min.js yet)",
    code,
  );
}

export async function runBundle(): Promise<BundleResult> {
  const out: BundleResult = {};
  try {
    const require = createRequire(import.meta.url);
    const pkgDir = dirname(require.resolve("socket.io-client/package.json"));
    const file = join(pkgDir, "dist/socket.io.min.js");
    const version = (JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version: string })
      .version;
    out.reference = measure(file, `socket.io-client ${version} dist/socket.io.min.js`, readFileSync(file));
  } catch (err) {
    out.referenceError = err instanceof Error ? err.message : String(err);
  }
  try {
    if (existsSync(VOLLEY_BUNDLE)) {
      const built = statSync(VOLLEY_BUNDLE).mtimeMs;
      const stale = newestMtime(dirname(VOLLEY_ENTRY)) > built;
      const source = `packages/client/dist/volley.min.js, built ${new Date(built).toISOString().slice(0, 16)} UTC${
        stale ? " (STALE: client sources changed since; run `npm run build -w @volley/client`)" : ""
      }`;
      out.volley = measure(VOLLEY_BUNDLE, source, readFileSync(VOLLEY_BUNDLE));
    } else if (existsSync(VOLLEY_ENTRY) && readFileSync(VOLLEY_ENTRY, "utf8").trim() !== "") {
      out.volley = await fallbackVolleyBundle();
    } else out.volleyError = "no packages/client/dist/volley.min.js and no client sources yet";
  } catch (err) {
    out.volleyError = err instanceof Error ? err.message.split("\n")[0] : String(err);
  }
  return out;
}
