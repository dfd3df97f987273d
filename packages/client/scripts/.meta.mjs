import { build } from "esbuild";
import { gzipSync } from "node:zlib";
const browserOnly = {
  name: "b",
  setup(b) {
    b.onResolve({ filter: /node-(websocket|request)\.js$/ }, () => ({ path: "x", namespace: "s" }));
    b.onLoad({ filter: /.*/, namespace: "s" }, () => ({
      contents: "export let loadNodeWebSocket, nodeRequest, nodeWebSocketOptions;",
      loader: "js",
    }));
  },
};
const r = await build({
  entryPoints: ["src/index.ts"],
  bundle: true,
  platform: "browser",
  format: "esm",
  target: "es2022",
  conditions: ["volley-source"],
  plugins: [browserOnly],
  define: { "globalThis.Buffer": "undefined", "globalThis.process": "undefined" },
  mangleProps: /^_[a-z]/i,
  reserveProps: /^_placeholder$/,
  minify: true,
  write: false,
  metafile: true,
  legalComments: "none",
});
const out = Object.values(r.metafile.outputs)[0];
for (const [k, v] of Object.entries(out.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput))
  console.log(v.bytesInOutput, k);
console.log(
  "total",
  r.outputFiles[0].text.length,
  "gz",
  gzipSync(r.outputFiles[0].text, { level: 9 }).length,
);
