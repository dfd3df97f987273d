// Summarises V8 CPU profiles (.cpuprofile, as written by `bench/run.ts --profile` or `node --cpu-prof`):
// self and inclusive time per function, overall and within one code area (default: Volley's packages/).
// node --import tsx bench/profile.ts <file|dir> [more…] [--top 25] [--match packages/]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = fileURLToPath(new URL("../", import.meta.url));

function label(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  if (!frame.url) return name;
  const path = frame.url.startsWith("file://") ? relative(ROOT, fileURLToPath(frame.url)) : frame.url;
  return `${name}  ${path}:${frame.lineNumber + 1}`;
}

interface Totals {
  self: Map<string, number>;
  inclusive: Map<string, number>;
  totalUs: number;
}

function add(totals: Totals, profile: CpuProfile): void {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  for (let i = 0; i < profile.samples.length; i++) {
    // The delta before sample i+1 is the time spent in sample i.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    const node = byId.get(id);
    if (!node) continue;
    totals.totalUs += dt;
    const key = label(node.callFrame);
    totals.self.set(key, (totals.self.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = label(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      totals.inclusive.set(k, (totals.inclusive.get(k) ?? 0) + dt);
    }
  }
}

function files(paths: string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith(".cpuprofile"))
          .map((f) => join(p, f))
      : [p],
  );
}

function top(map: Map<string, number>, totalUs: number, n: number, match?: string): string[] {
  return [...map]
    .filter(([k]) => match === undefined || k.includes(match))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${k}`);
}

function main(argv: string[]): number {
  let n = 25;
  let match = "packages/";
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--top") n = Number(argv[++i]) || n;
    else if (argv[i] === "--match") match = argv[++i] ?? match;
    else paths.push(argv[i]!);
  }
  const list = paths.length ? files(paths) : [];
  if (list.length === 0) {
    console.error(
      "usage: node --import tsx bench/profile.ts <file.cpuprofile|dir> … [--top 25] [--match packages/]",
    );
    return 2;
  }
  const totals: Totals = { self: new Map(), inclusive: new Map(), totalUs: 0 };
  for (const f of list) add(totals, JSON.parse(readFileSync(f, "utf8")) as CpuProfile);
  console.log(`${list.length} profile(s), ${(totals.totalUs / 1000).toFixed(0)} ms sampled\n`);
  console.log(`## self time, all code\n${top(totals.self, totals.totalUs, n).join("\n")}\n`);
  console.log(`## self time, '${match}'\n${top(totals.self, totals.totalUs, n, match).join("\n")}\n`);
  console.log(`## inclusive time, '${match}'\n${top(totals.inclusive, totals.totalUs, n, match).join("\n")}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
