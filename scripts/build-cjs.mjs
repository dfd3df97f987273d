#!/usr/bin/env node
// CommonJS build of every package, beside tsc's ESM output (run after `tsc -b`):
//   dist/cjs/**/*.js      each source file compiled to CommonJS by esbuild (one file per module, so
//                         `@volley/engine` and `@volley/engine/parser` share their modules, as in ESM)
//   dist/cjs/**/*.d.ts    tsc's declarations, copied: TypeScript reads them as CommonJS types
//   dist/cjs/package.json {"type":"commonjs"}: Node and TypeScript treat the folder as CommonJS
// Other packages (`@volley/*`, peers) stay `require()`s, resolved through their own "require" export.
// Usage: node scripts/build-cjs.mjs [package-dir ...]   (default: every package under packages/)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const packageDirs = (
  args.length > 0
    ? args.map((dir) => resolve(dir))
    : readdirSync(join(root, "packages")).map((name) => join(root, "packages", name))
).filter((dir) => existsSync(join(dir, "package.json")) && existsSync(join(dir, "src")));

/** Every file under `dir` whose name passes `keep`, skipping `skip` folders. */
function walk(dir, keep, skip = new Set()) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!skip.has(path)) out.push(...walk(path, keep, skip));
    } else if (keep(name)) out.push(path);
  }
  return out;
}

// `import.meta.url` does not exist in CommonJS: the files that read it get their own URL from
// `__filename` instead (esbuild would otherwise compile `import.meta` to an empty object).
const IMPORT_META_URL = "__volleyImportMetaUrl";
const importMetaBanner = `"use strict";\nconst ${IMPORT_META_URL} = require("node:url").pathToFileURL(__filename).href;`;

// As with socket.io and socket.io-client, the CommonJS module itself is callable, for code written as
// `require("socket.io")(httpServer)` or `const io = require("socket.io-client"); io(url)`; the named
// exports (`const { Server } = require("volley")`, `{ io }`) stay as they are.
const CALLABLE = {
  volley: "(srv, opts) => new api.Server(srv, opts)",
  "@volley/client": "(uri, opts) => api.io(uri, opts)",
};
const callableFooter = (call) =>
  `{ const api = module.exports; const callable = ${call};
  Object.defineProperties(callable, Object.getOwnPropertyDescriptors(api)); module.exports = callable; }`;

// Unchanged files are not rewritten, so a rebuild while tests read dist (or a second build at once) is harmless.
function writeIfChanged(path, text) {
  if (!existsSync(path) || readFileSync(path, "utf8") !== text) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return path;
}

async function buildPackage(pkg) {
  const src = join(pkg, "src");
  const dist = join(pkg, "dist");
  const out = join(dist, "cjs");
  if (!existsSync(join(dist, "index.d.ts"))) {
    throw new Error(`${relative(root, dist)}/index.d.ts is missing: run \`tsc -b\` first`);
  }

  const written = new Set();
  const sources = walk(src, (name) => name.endsWith(".ts") && !name.endsWith(".d.ts"));
  const readsOwnUrl = (file) => readFileSync(file, "utf8").includes("import.meta");
  const common = {
    outdir: out,
    outbase: src,
    format: "cjs",
    platform: "node",
    target: "node20",
    bundle: false,
    sourcemap: true,
    write: false,
    // `import()` becomes `require()`: CommonJS hosts without ESM loaders (jest's default, say) load it too.
    supported: { "dynamic-import": false },
    logLevel: "warning",
  };
  const name = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).name;
  const index = join(src, "index.ts");
  for (const file of sources) {
    const options = { ...common, entryPoints: [file] };
    if (readsOwnUrl(file)) {
      options.define = { "import.meta.url": IMPORT_META_URL };
      options.banner = { js: importMetaBanner };
    }
    if (file === index && CALLABLE[name]) options.footer = { js: callableFooter(CALLABLE[name]) };
    for (const output of (await build(options)).outputFiles)
      written.add(writeIfChanged(output.path, output.text));
  }
  written.add(
    writeIfChanged(join(out, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`),
  );

  // Declarations: the same text serves both formats; only the declaration maps' paths move one level.
  const declarations = walk(
    dist,
    (name) => name.endsWith(".d.ts") || name.endsWith(".d.ts.map"),
    new Set([out]),
  );
  for (const file of declarations) {
    const target = join(out, relative(dist, file));
    let text = readFileSync(file, "utf8");
    if (file.endsWith(".map")) {
      const map = JSON.parse(text);
      map.sources = map.sources.map((source) => relative(dirname(target), resolve(dirname(file), source)));
      text = JSON.stringify(map);
    }
    written.add(writeIfChanged(target, text));
  }
  // Files of modules that no longer exist.
  for (const file of existsSync(out) ? walk(out, () => true) : []) if (!written.has(file)) rmSync(file);
  console.log(`${relative(root, out)}: ${sources.length} modules, ${declarations.length} declaration files`);
}

for (const pkg of packageDirs) await buildPackage(pkg);
