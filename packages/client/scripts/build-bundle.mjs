#!/usr/bin/env node
// Browser bundles of @volley/client (esbuild, from the TypeScript sources):
//   dist/volley.js          IIFE, global `io`, readable
//   dist/volley.min.js      IIFE, global `io`, minified
//   dist/volley.esm.min.js  ESM, minified
// Node-only code is swapped for a stub and the output is checked for `node:` imports. The minified builds
// go through terser after esbuild: its frequency-ordered names and second compress pass save ~2 % gzipped.
// Private `#` members of our classes become mangled `_` members in the bundles (privateToInternal below).
// Prints each size, min+gzip beside socket.io-client's own bundle (the budget is ≤ ½ of it).
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { minify } from "terser";
import ts from "typescript";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(pkg, "dist");
mkdirSync(dist, { recursive: true });

// The engine loads @volley/websocket and node:http(s)/net/tls in Node only; browsers use their own WebSocket
// and fetch. The loaders are never called in a browser (`isNode` is false there): empty bindings replace them.
const browserOnly = {
  name: "volley-browser-only",
  setup(b) {
    b.onResolve({ filter: /node-(websocket|request)\.js$/ }, () => ({
      path: "node-only",
      namespace: "volley-stub",
    }));
    b.onLoad({ filter: /.*/, namespace: "volley-stub" }, () => ({
      contents: "export let loadNodeWebSocket, nodeRequest, nodeWebSocketOptions;",
      loader: "js",
    }));
    b.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [{ text: `Node-only import ${args.path} in the browser bundle` }],
    }));
  },
};

// Private members (`#name`) of the client's own classes become `_`-members, which mangleProps shortens:
// `this.t` is a byte shorter than `this.#t`, hundreds of times. Each class numbers its private members by
// use (`_q0` the most used), so unrelated classes share the same short names, as esbuild gives every class
// the same `#t`, `#e`…, which gzip likes. A class that others extend, or one without a name (it may be a
// base under another), keeps names of its own (`_Pfile$Class$name`), so a subclass never reuses one of them.
// Sources: the client's src/ (not shared/) and the engine client.
const ownSources = [join(pkg, "src"), join(pkg, "../engine/src/client")];
const privateToInternal = {
  name: "volley-private-to-internal",
  setup(b) {
    const files = ownSources.flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => name.endsWith(".ts"))
        .map((name) => join(dir, name)),
    );
    const parse = (file) =>
      ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    // Every name after `extends` in these files: those classes have subclasses.
    const extended = new Set();
    for (const file of files)
      parse(file).forEachChild(function visit(node) {
        if (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ExtendsKeyword)
          for (const type of node.types) extended.add(type.expression.getText());
        node.forEachChild(visit);
      });
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!files.includes(args.path)) return undefined;
      const source = parse(args.path);
      const edits = [];
      const classes = [];
      const declares = (cls, name) =>
        cls.members.some((m) => m.name && ts.isPrivateIdentifier(m.name) && m.name.text === name);
      source.forEachChild(function visit(node) {
        if (ts.isClassLike(node)) classes.push({ node, uses: new Map() });
        if (ts.isPrivateIdentifier(node)) {
          if (ts.isBinaryExpression(node.parent) && node.parent.left === node)
            throw new Error(`${args.path}: \`${node.text} in\` has no equivalent for a property`);
          const owner = classes.findLast((c) => declares(c.node, node.text));
          if (owner) {
            const uses = owner.uses.get(node.text) ?? [];
            owner.uses.set(node.text, [...uses, node]);
            // A field with no initializer: a property assigned later needs no declaration.
            const decl = node.parent;
            if (ts.isPropertyDeclaration(decl) && decl.name === node && !decl.initializer)
              edits.push([decl.getStart(source), decl.end, ""]);
          }
        }
        node.forEachChild(visit);
        if (classes.at(-1)?.node === node) {
          const { uses } = classes.pop();
          const className = node.name?.text;
          const ranked = [...uses.keys()].sort((a, b) => uses.get(b).length - uses.get(a).length);
          ranked.forEach((name, rank) => {
            const internal =
              className === undefined || extended.has(className)
                ? `_P${basename(args.path, ".ts").replace(/\W/g, "")}$${className ?? node.pos}$${name.slice(1)}`
                : `_q${rank}`;
            for (const use of uses.get(name)) edits.push([use.getStart(source), use.end, internal]);
          });
        }
      });
      // A declaration removed whole takes its name's edit with it.
      const removed = edits.filter((edit) => edit[2] === "");
      const inside = ([start, end, replacement]) =>
        replacement !== "" && removed.some(([from, to]) => from <= start && end <= to);
      let text = source.text;
      for (const [start, end, replacement] of edits
        .filter((edit) => !inside(edit))
        .sort((a, b) => b[0] - a[0]))
        text = text.slice(0, start) + replacement + text.slice(end);
      return { contents: text, loader: "ts" };
    });
  },
};

// The global build: `io` is the lookup function, carrying Manager, Socket, io and connect (src/index.ts) and
// here protocol, as in socket.io.
const globalEntry = `
import { io, protocol } from "./src/index.ts";
io.protocol = protocol;
globalThis.io = io;
`;

const common = {
  bundle: true,
  platform: "browser",
  target: "es2022",
  conditions: ["volley-source"],
  plugins: [browserOnly, privateToInternal],
  // Browsers have neither: the Node-only branches (Buffer results, our WebSocket) fold away.
  define: { "globalThis.Buffer": "undefined", "globalThis.process": "undefined" },
  // `_`-prefixed members are internal by convention (STYLE: private API): short names in the bundle.
  // `_placeholder` is wire format (Socket.IO binary attachments) and keeps its name.
  mangleProps: /^_[a-z]/i,
  reserveProps: /^_placeholder$/,
  legalComments: "none",
  logLevel: "warning",
  write: false,
};

// The ESM build: socket.io-client's exports but the transport classes (in browsers, name transports:
// \`transports: ["websocket"]\`), and ClientError. Named imports only: \`io.Manager\` & co are the global
// build's.
const esmEntry = `
export { lookup as io, lookup as connect, lookup as default } from "./src/lookup.ts";
export { Manager } from "./src/manager.ts";
export { Socket } from "./src/socket.ts";
export { PROTOCOL_VERSION as protocol } from "./src/protocol-version.ts";
export { ClientError } from "./src/errors.ts";
`;

// The minified global build first: it picks the shared mangled names (see mangleCache below).
const outputs = [
  { file: "volley.min.js", format: "iife", minify: true, entry: globalEntry },
  { file: "volley.js", format: "iife", minify: false, entry: globalEntry },
  { file: "volley.esm.min.js", format: "esm", minify: true, entry: esmEntry },
];

// Shared connection (src/shared/, `@volley/client/shared`): a tab bundle (the global `io` plus `sharedIo`)
// and the SharedWorker script served beside it. Separate files: the main bundle carries none of it.
const sharedEntry = `
import { io, protocol } from "./src/index.ts";
import { sharedIo } from "./src/shared/index.ts";
io.protocol = protocol;
globalThis.io = io;
globalThis.sharedIo = sharedIo;
`;
outputs.push(
  { file: "volley.shared.min.js", format: "iife", minify: true, entry: sharedEntry },
  {
    file: "volley.shared-worker.min.js",
    format: "iife",
    minify: true,
    entry: 'import "./src/shared/worker.ts";',
  },
);

// Terser's `unsafe` rewrites assume what this code never does: built-ins left as they are, template
// literals and `String()`/`Number()` given strings and numbers (not objects with their own toPrimitive),
// getters without side effects (`pure_getters`). Not `unsafe_comps`: it inverts comparisons as if no
// operand could be NaN or undefined (a limit not yet known, say), for 8 bytes.
const terserCompress = {
  passes: 3,
  unsafe: true,
  unsafe_arrows: true,
  unsafe_math: true,
  unsafe_methods: true,
  pure_getters: true,
};

const sizes = {};
// One mangle cache for every build: the exactly-once add-on reaches the main bundle's `_`-members by the
// same short names.
let mangleCache = {};
for (const out of outputs) {
  const result = await build({
    ...common,
    mangleCache,
    format: out.format,
    minify: out.minify,
    stdin: { contents: out.entry, resolveDir: pkg, loader: "ts", sourcefile: "volley-entry.ts" },
  });
  mangleCache = result.mangleCache;
  let code = result.outputFiles[0].text;
  if (out.minify)
    code = (
      await minify(code, {
        module: out.format === "esm",
        ecma: 2022,
        compress: terserCompress,
        format: { comments: false },
      })
    ).code;
  if (/\bfrom\s*["']node:|import\(\s*["']node:|require\(\s*["']node:/.test(code)) {
    throw new Error(`${out.file} contains a node: import`);
  }
  if (code.includes("@volley/websocket")) throw new Error(`${out.file} references @volley/websocket`);
  writeFileSync(join(dist, out.file), code);
  sizes[out.file] = { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

// --- exactly-once add-on: dist/volley.exactly-once.min.js (served as socket.io.exactly-once.js) ---------
// Loaded after either global build; adds `io.exactlyOnce`. Kept out of the main bundle, which stays small.
{
  const entry = `
import { exactlyOnce } from "./src/exactly-once-install.ts";
if (typeof globalThis.io !== "function") throw new Error("load socket.io.js before socket.io.exactly-once.js");
globalThis.io.exactlyOnce = exactlyOnce;
`;
  const result = await build({
    ...common,
    mangleCache,
    format: "iife",
    minify: true,
    stdin: { contents: entry, resolveDir: pkg, loader: "ts", sourcefile: "volley-exactly-once-entry.ts" },
  });
  const file = "volley.exactly-once.min.js";
  const { code } = await minify(result.outputFiles[0].text, {
    ecma: 2022,
    compress: terserCompress,
    format: { comments: false },
  });
  writeFileSync(join(dist, file), code);
  sizes[file] = { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

const require = createRequire(import.meta.url);
let reference;
try {
  const path = join(dirname(require.resolve("socket.io-client/package.json")), "dist", "socket.io.min.js");
  if (existsSync(path)) {
    const code = readFileSync(path);
    reference = { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
  }
} catch {
  // socket.io-client is a devDependency; without it we just skip the comparison.
}

for (const [file, size] of Object.entries(sizes))
  console.log(`${file.padEnd(20)} ${size.bytes} B, ${size.gzip} B gzip`);
if (reference) {
  const ratio = sizes["volley.min.js"].gzip / reference.gzip;
  console.log(`socket.io.min.js     ${reference.bytes} B, ${reference.gzip} B gzip`);
  console.log(`volley.min.js min+gzip = ${(ratio * 100).toFixed(1)} % of socket.io-client's (budget ≤ 50 %)`);
}
