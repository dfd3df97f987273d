// Which Volley the server children load. By default the built packages (`dist/`, what an application runs:
// tsc's JavaScript); `--source` loads the TypeScript sources through tsx instead, as the tests do. tsx
// compiles with esbuild's keepNames, which wraps every function and closure it creates in a `__name(fn,
// "name")` call: a cost per closure that the published code does not have (1-2 % of the server's busy
// samples on the polling rows), so the sources are for quick iteration, not for figures.
import { type Dirent, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGES_DIR = fileURLToPath(new URL("../../packages/", import.meta.url));

/** Newest modification time under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  let newest = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The packages whose `src/` changed after their `dist/` was written (or that were never built): measuring
 * them would measure old code. Empty when every build is current.
 */
export function staleBuilds(): string[] {
  const stale: string[] = [];
  for (const name of readdirSync(PACKAGES_DIR)) {
    const src = newestMtime(join(PACKAGES_DIR, name, "src"));
    if (src === 0) continue;
    if (newestMtime(join(PACKAGES_DIR, name, "dist")) < src) stale.push(`packages/${name}`);
  }
  return stale;
}
