// Summarises V8 CPU profiles (.cpuprofile, as written by `bench/run.ts --profile` or `node --cpu-prof`):
// self and inclusive time per function, overall and within one code area (default: Volley's packages/).
// node --import tsx bench/profile.ts <file|dir> [more…] [--top 25] [--match packages/] [--stalls 50]
// --stalls <ms>: the stretches of at least <ms> without an idle sample (what kept the event loop from its
// timers), each with the functions it spent its time in, and how much of it was no sample at all (the
// process waiting for a core, on a loaded machine).
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

/**
 * Where a function belongs, for the `--areas` summary: Volley's package, a dependency, a part of Node
 * (`node:http`: its HTTP parser and messages; `node:net+streams`: sockets and streams), the native calls
 * without a script (mostly the system calls: writes, reads — on loopback TCP the kernel's work for both
 * ends), the garbage collector, or V8 itself.
 */
function areaOf(frame: CallFrame): string {
  const name = frame.functionName;
  if (name === "(idle)" || name === "(garbage collector)" || name === "(program)") return name;
  const url = frame.url;
  if (!url) return name === "(root)" ? "(program)" : "native (system calls, C++)";
  if (url.startsWith("node:")) {
    if (/^node:_http|^node:http/.test(url)) return "node:http";
    if (/^node:net|^node:internal\/(streams|stream_base)/.test(url)) return "node:net+streams";
    return "node: other";
  }
  const path = url.startsWith("file://") ? relative(ROOT, fileURLToPath(url)) : url;
  const pkg = /^packages\/([^/]+)/.exec(path) ?? /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return path.startsWith("packages/") ? `volley: ${pkg[1]}` : `dependency: ${pkg[1]}`;
  return path.split("/").slice(0, 2).join("/");
}

interface Totals {
  areas: Map<string, number>;
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
    const area = areaOf(node.callFrame);
    totals.areas.set(area, (totals.areas.get(area) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = label(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      totals.inclusive.set(k, (totals.inclusive.get(k) ?? 0) + dt);
    }
  }
}

/** Samples between two idle ones: the event loop did not wait for I/O, so no timer could run late-free. */
interface Stretch {
  profile: string;
  startUs: number;
  durationUs: number;
  /** Time between samples beyond twice the sampling interval: the thread did not run (or ran native code). */
  gapUs: number;
  self: Map<string, number>;
  inclusive: Map<string, number>;
}

/** Busy stretches of at least `minMs`, longest first. */
function stretches(name: string, profile: CpuProfile, minMs: number): Stretch[] {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const deltas = profile.timeDeltas
    .slice(1)
    .filter((d) => d > 0)
    .sort((a, b) => a - b);
  const interval = deltas[Math.floor(deltas.length / 2)] ?? 200;
  const out: Stretch[] = [];
  let current: Stretch | undefined;
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!);
    const idle = node?.callFrame.functionName === "(idle)";
    if (idle || node === undefined) {
      if (current && current.durationUs >= minMs * 1000) out.push(current);
      current = undefined;
    } else {
      current ??= {
        profile: name,
        startUs: t,
        durationUs: 0,
        gapUs: 0,
        self: new Map(),
        inclusive: new Map(),
      };
      current.durationUs += dt;
      if (dt > 2 * interval) current.gapUs += dt - interval;
      const key = label(node.callFrame);
      current.self.set(key, (current.self.get(key) ?? 0) + dt);
      const seen = new Set<string>();
      for (let cur: number | undefined = node.id; cur !== undefined; cur = parent.get(cur)) {
        const k = label(byId.get(cur)!.callFrame);
        if (seen.has(k)) continue;
        seen.add(k);
        current.inclusive.set(k, (current.inclusive.get(k) ?? 0) + dt);
      }
    }
    t += dt;
  }
  if (current && current.durationUs >= minMs * 1000) out.push(current);
  return out.sort((a, b) => b.durationUs - a.durationUs);
}

function printStretches(list: Stretch[], n: number, match: string): void {
  console.log(`## busy stretches (no idle sample), longest first: ${list.length}\n`);
  for (const s of list.slice(0, 5)) {
    console.log(
      `### ${s.profile} at ${(s.startUs / 1000).toFixed(0)} ms: ${(s.durationUs / 1000).toFixed(1)} ms, ` +
        `of which ${(s.gapUs / 1000).toFixed(1)} ms without samples`,
    );
    console.log(`self:\n${top(s.self, s.durationUs, n).join("\n")}`);
    console.log(`inclusive, '${match}':\n${top(s.inclusive, s.durationUs, n, match).join("\n")}\n`);
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
  let stallMs: number | undefined;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--top") n = Number(argv[++i]) || n;
    else if (argv[i] === "--match") match = argv[++i] ?? match;
    else if (argv[i] === "--stalls") stallMs = Number(argv[++i]) || 50;
    else paths.push(argv[i]!);
  }
  const list = paths.length ? files(paths) : [];
  if (list.length === 0) {
    console.error(
      "usage: node --import tsx bench/profile.ts <file.cpuprofile|dir> … [--top 25] [--match packages/] [--stalls <ms>]",
    );
    return 2;
  }
  const totals: Totals = { areas: new Map(), self: new Map(), inclusive: new Map(), totalUs: 0 };
  if (stallMs !== undefined) {
    const all = list.flatMap((f) =>
      stretches(relative(ROOT, f), JSON.parse(readFileSync(f, "utf8")) as CpuProfile, stallMs!),
    );
    printStretches(
      all.sort((a, b) => b.durationUs - a.durationUs),
      n,
      match,
    );
    return 0;
  }
  for (const f of list) add(totals, JSON.parse(readFileSync(f, "utf8")) as CpuProfile);
  console.log(`${list.length} profile(s), ${(totals.totalUs / 1000).toFixed(0)} ms sampled\n`);
  const idleUs = totals.areas.get("(idle)") ?? 0;
  const busy = new Map([...totals.areas].filter(([area]) => area !== "(idle)"));
  console.log(
    `## self time by area, % of the busy time (${((totals.totalUs - idleUs) / 1000).toFixed(0)} ms; idle left out)\n` +
      `${top(busy, totals.totalUs - idleUs, 30).join("\n")}\n`,
  );
  console.log(`## self time, all code\n${top(totals.self, totals.totalUs, n).join("\n")}\n`);
  console.log(`## self time, '${match}'\n${top(totals.self, totals.totalUs, n, match).join("\n")}\n`);
  console.log(`## inclusive time, '${match}'\n${top(totals.inclusive, totals.totalUs, n, match).join("\n")}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
