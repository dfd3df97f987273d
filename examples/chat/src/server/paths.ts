import { fileURLToPath } from "node:url";

// src/server/*.ts (under tsx) and dist/server/*.js (built) sit at the same depth, so one relative
// path finds the example's folder from both.
const exampleRoot = fileURLToPath(new URL("../../", import.meta.url));

export const paths = {
  root: exampleRoot,
  /** Hand-written static files: index.html, style.css, favicon.svg. */
  public: `${exampleRoot}public/`,
  /** The page script, bundled by `npm run build`. */
  pageEntry: `${exampleRoot}src/page/main.ts`,
  pageBundle: `${exampleRoot}dist/public/app.js`,
};
