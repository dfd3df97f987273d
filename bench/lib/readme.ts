// Keeps the "Latest results" section of bench/README.md equal to results/latest.md.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const START = "<!-- results:start -->";
const END = "<!-- results:end -->";

/** Replaces the text between the markers; leaves the file alone when they are missing. */
export function updateReadme(path: string, markdown: string): boolean {
  if (!existsSync(path)) return false;
  const text = readFileSync(path, "utf8");
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return false;
  // The results document's own title would repeat the README's; its sections go one level down.
  const body = markdown
    .replace(/^# .*\n+/, "")
    .replace(/^## /gm, "### ")
    .trim();
  writeFileSync(path, `${text.slice(0, a + START.length)}\n${body}\n${text.slice(b)}`);
  return true;
}
