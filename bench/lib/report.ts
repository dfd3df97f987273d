// The results document: markdown tables (Volley beside the reference, ratios, budgets) and a JSON twin.
import type { RowResult } from "../suites/alternate.js";
import type { BundleResult } from "../suites/bundle.js";
import type { MemorySample, ThroughputSample } from "../suites/measure.js";
import type { WorkersResult } from "../suites/workers.js";
import type { Config } from "./config.js";
import { median } from "./stats.js";
import { fmt, fmtInt, fmtRatio, markdownTable, ratio } from "./table.js";
import { projectionTable, trioTable } from "./trio-report.js";
import type { TrioRowResult } from "../suites/trio.js";
import type { TrioSuite } from "../suites/trio-rows.js";
import { workersNotes, workersSection } from "./workers-report.js";
import type { ObserveRowResult } from "../suites/observe.js";
import { observeRatio, observeTable, observeVerdict } from "./observe-report.js";

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
  /** 1-minute load average when the suite started and ended (other work on the machine skews figures). */
  loadStart: number;
  loadEnd?: number;
}

/** One suite's figures and how they were taken; suites run separately (`--only`) merge into one file. */
export interface SuiteRun<T> {
  machine: Machine;
  command: string;
  config: Config;
  data: T;
}

export interface Results {
  websocket?: SuiteRun<RowResult<ThroughputSample>[]>;
  socketio?: SuiteRun<RowResult<ThroughputSample>[]>;
  cluster?: SuiteRun<RowResult<ThroughputSample>[]>;
  workers?: SuiteRun<WorkersResult[]>;
  memory?: SuiteRun<RowResult<MemorySample>[]>;
  bundle?: SuiteRun<BundleResult>;
  scale?: SuiteRun<TrioRowResult[]>;
  polling?: SuiteRun<TrioRowResult[]>;
  handshake?: SuiteRun<TrioRowResult[]>;
  broadcast?: SuiteRun<TrioRowResult[]>;
  compression?: SuiteRun<TrioRowResult[]>;
  floor?: SuiteRun<TrioRowResult[]>;
  observe?: SuiteRun<ObserveRowResult[]>;
}

/** Titles of the three-server suites' sections. */
const TRIO_TITLES: Record<TrioSuite, string> = {
  scale: "Memory at scale: idle Socket.IO connections (volley vs socket.io vs bare ws)",
  polling: "Long-polling (volley vs socket.io vs bare ws)",
  handshake: "Handshake storms (volley vs socket.io vs bare ws)",
  broadcast: "Big broadcast latency (volley vs socket.io vs bare ws)",
  compression: "Compressed broadcast, perMessageDeflate (volley vs socket.io vs bare ws)",
  floor: "Socket.IO rows beside the floor (volley vs socket.io vs bare ws)",
};

function verdict(r: number, budget: { ratio: number } | undefined): string {
  if (!budget) return "—";
  if (!Number.isFinite(r)) return "n/a";
  // A hair of tolerance for rounding in the printed ratio only.
  return r <= budget.ratio + 1e-9 ? "met" : "NOT met";
}

function runsNote<S>(row: RowResult<S>): string {
  const [a, b] = row.sides;
  const n = `${a.samples.length}/${b.samples.length}`;
  const errs = [...a.errors.map((e) => `${a.impl}: ${e}`), ...b.errors.map((e) => `${b.impl}: ${e}`)];
  return errs.length ? `${n} ⚠` : n;
}

/** Half the range of the runs, in % of their median: how far apart the runs of one side were. */
function spread(values: number[]): number {
  const m = median(values);
  if (values.length < 2 || !Number.isFinite(m) || m === 0) return Number.NaN;
  return (50 * (Math.max(...values) - Math.min(...values))) / m;
}

export function throughputTable(rows: RowResult<ThroughputSample>[]): string {
  if (rows.length === 0) return "";
  const [a, b] = rows[0]!.sides;
  const header = [
    "row",
    `CPU µs/msg ${a.impl}`,
    `CPU µs/msg ${b.impl}`,
    "CPU ratio",
    "budget",
    "",
    "CPU spread",
    `msgs/s ${a.impl}`,
    `msgs/s ${b.impl}`,
    `p50 ms ${a.impl} / ${b.impl}`,
    `p99 ms ${a.impl} / ${b.impl}`,
    "runs",
  ];
  const body = rows.map((row) => {
    const [x, y] = row.sides;
    const r = ratio(x.median.cpuUs, y.median.cpuUs);
    return [
      row.name,
      fmt(x.median.cpuUs, 2),
      fmt(y.median.cpuUs, 2),
      fmtRatio(r),
      row.budget?.label ?? "—",
      verdict(r, row.budget),
      `±${fmt(spread(x.samples.map((v) => v.cpuUs)), 0)} / ±${fmt(spread(y.samples.map((v) => v.cpuUs)), 0)} %`,
      fmtInt(x.median.rate),
      fmtInt(y.median.rate),
      `${fmt(x.median.p50, 3)} / ${fmt(y.median.p50, 3)}`,
      `${fmt(x.median.p99, 3)} / ${fmt(y.median.p99, 3)}`,
      runsNote(row),
    ];
  });
  return markdownTable(header, body);
}

/** Cluster rows: the servers' CPU (summed over the nodes) and redis-server's CPU, per delivery. */
export function clusterTable(rows: RowResult<ThroughputSample>[]): string {
  if (rows.length === 0) return "";
  const [a, b] = rows[0]!.sides;
  const header = [
    "row",
    `server CPU µs/delivery ${a.impl}`,
    `${b.impl}`,
    "ratio",
    "budget",
    "",
    "CPU spread",
    `Redis CPU µs/delivery ${a.impl}`,
    `${b.impl}`,
    "ratio",
    `deliveries/s ${a.impl} / ${b.impl}`,
    `p50 ms ${a.impl} / ${b.impl}`,
    "runs",
  ];
  const body = rows.map((row) => {
    const [x, y] = row.sides;
    const r = ratio(x.median.cpuUs, y.median.cpuUs);
    return [
      row.name,
      fmt(x.median.cpuUs, 2),
      fmt(y.median.cpuUs, 2),
      fmtRatio(r),
      row.budget?.label ?? "—",
      verdict(r, row.budget),
      `±${fmt(spread(x.samples.map((v) => v.cpuUs)), 0)} / ±${fmt(spread(y.samples.map((v) => v.cpuUs)), 0)} %`,
      fmt(x.median.redisCpuUs, 2),
      fmt(y.median.redisCpuUs, 2),
      fmtRatio(ratio(x.median.redisCpuUs, y.median.redisCpuUs)),
      `${fmtInt(x.median.rate)} / ${fmtInt(y.median.rate)}`,
      `${fmt(x.median.p50, 3)} / ${fmt(y.median.p50, 3)}`,
      runsNote(row),
    ];
  });
  return markdownTable(header, body);
}

export function memoryTable(rows: RowResult<MemorySample>[]): string {
  if (rows.length === 0) return "";
  const header = [
    "row",
    "RSS KB/conn Volley",
    "ref",
    "ratio",
    "heap KB/conn Volley",
    "ref",
    "ratio",
    "budget",
    "",
    "runs",
  ];
  const body = rows.map((row) => {
    const [x, y] = row.sides;
    const rss = ratio(x.median.rssPerConn, y.median.rssPerConn);
    const heap = ratio(x.median.heapPerConn, y.median.heapPerConn);
    const both = Number.isFinite(rss) && Number.isFinite(heap) ? Math.max(rss, heap) : Number.NaN;
    return [
      `${row.name} (${x.impl} vs ${y.impl})`,
      fmt((x.median.rssPerConn ?? Number.NaN) / 1024, 2),
      fmt((y.median.rssPerConn ?? Number.NaN) / 1024, 2),
      fmtRatio(rss),
      fmt((x.median.heapPerConn ?? Number.NaN) / 1024, 2),
      fmt((y.median.heapPerConn ?? Number.NaN) / 1024, 2),
      fmtRatio(heap),
      row.budget?.label ?? "—",
      verdict(both, row.budget),
      runsNote(row),
    ];
  });
  return markdownTable(header, body);
}

export function bundleTable(b: BundleResult): string {
  const kb = (n: number | undefined) => (n === undefined ? "n/a" : `${(n / 1024).toFixed(1)} KB`);
  const r = ratio(b.volley?.gzipBytes, b.reference?.gzipBytes);
  return markdownTable(
    [
      "bundle",
      "Volley min",
      "Volley min+gzip",
      "socket.io-client min",
      "socket.io-client min+gzip",
      "ratio",
      "budget",
      "",
    ],
    [
      [
        "browser client",
        kb(b.volley?.minBytes),
        kb(b.volley?.gzipBytes),
        kb(b.reference?.minBytes),
        kb(b.reference?.gzipBytes),
        fmtRatio(r),
        "≤ ½",
        verdict(r, { ratio: 0.5 }),
      ],
    ],
  );
}

function errorNotes(
  rows: { name: string; sides: readonly { impl: string; errors: string[] }[] }[],
): string[] {
  const notes: string[] = [];
  for (const row of rows) {
    for (const side of row.sides) {
      const unique = [...new Set(side.errors)];
      for (const e of unique) notes.push(`- ${row.name} [${side.impl}]: ${e}`);
    }
  }
  return notes;
}

function measuredLine(run: SuiteRun<unknown>): string {
  const m = run.machine;
  const c = run.config;
  const load = `load average ${m.loadStart.toFixed(1)} → ${m.loadEnd?.toFixed(1) ?? "n/a"}`;
  const method =
    run.data && Array.isArray(run.data)
      ? `${c.runs} alternating runs per library per row, ${c.durationMs} ms windows after ${c.warmupMs} ms warm-up, medians; `
      : "";
  return `Measured ${m.date} with \`${run.command}\` — ${method}${load}.${c.aa ? " **A/A: the reference against itself (noise check).**" : ""}`;
}

interface BudgetLine {
  measure: string;
  ratio: number;
  budget: { ratio: number; label: string };
  /** Set for budgets that are not "Volley ÷ reference ≤ ratio" (three-server rows): what to print. */
  shown?: { value: string; verdict: string };
}

/** The budgets of the three-server rows: ratios to socket.io (≤, or ≥ when higher is better) and bounds. */
function trioBudgetLines(res: Results): BudgetLine[] {
  const lines: BudgetLine[] = [];
  for (const suite of ["scale", "polling", "handshake", "broadcast", "compression", "floor"] as const) {
    for (const row of res[suite]?.data ?? []) {
      const [x, y, floor] = row.sides;
      for (const m of row.measures) {
        const b = m.budget;
        if (!b) continue;
        const volley = x.median[m.key];
        const r = ratio(volley, y.median[m.key]);
        let value: string;
        let met: boolean | undefined;
        if (b.floorRatio !== undefined) {
          // Budgets against the floor (bare ws) are judged on Volley ÷ the third side.
          const rf = floor === undefined ? Number.NaN : ratio(volley, floor.median[m.key]);
          value = `${fmtRatio(rf)} bare ws`;
          met = Number.isFinite(rf) ? rf <= b.floorRatio + 1e-9 : undefined;
        } else if (b.max !== undefined) {
          value =
            volley === undefined || !Number.isFinite(volley) ? "n/a" : `${fmt(volley, m.digits)} (Volley)`;
          met = volley === undefined || !Number.isFinite(volley) ? undefined : volley <= b.max;
        } else {
          value = fmtRatio(r);
          met =
            b.ratio === undefined || !Number.isFinite(r)
              ? undefined
              : m.higherIsBetter
                ? r >= b.ratio - 1e-9
                : r <= b.ratio + 1e-9;
        }
        lines.push({
          measure: `${row.name}: ${m.label}`,
          ratio: r,
          budget: { ratio: b.ratio ?? Number.NaN, label: b.label },
          shown: { value, verdict: met === undefined ? "n/a" : met ? "met" : "NOT met" },
        });
      }
    }
  }
  return lines;
}

function budgetLines(res: Results): BudgetLine[] {
  const lines: BudgetLine[] = [];
  for (const run of [res.websocket, res.socketio, res.cluster]) {
    for (const row of run?.data ?? []) {
      if (!row.budget) continue;
      const [x, y] = row.sides;
      lines.push({
        measure: `${row.name}: ${run === res.cluster ? "server CPU/delivery" : row.kind === "fanout" ? "CPU/delivery" : "CPU/msg"}`,
        ratio: ratio(x.median.cpuUs, y.median.cpuUs),
        budget: row.budget,
      });
    }
  }
  for (const row of res.memory?.data ?? []) {
    if (!row.budget) continue;
    const [x, y] = row.sides;
    lines.push({
      measure: `${row.name}: RSS/conn`,
      ratio: ratio(x.median.rssPerConn, y.median.rssPerConn),
      budget: row.budget,
    });
    lines.push({
      measure: `${row.name}: heap/conn`,
      ratio: ratio(x.median.heapPerConn, y.median.heapPerConn),
      budget: row.budget,
    });
  }
  const b = res.bundle?.data;
  if (b) {
    lines.push({
      measure: "browser client min+gzip",
      ratio: ratio(b.volley?.gzipBytes, b.reference?.gzipBytes),
      budget: { ratio: 0.5, label: "≤ ½" },
    });
  }
  lines.push(...trioBudgetLines(res));
  for (const row of res.observe?.data ?? []) {
    for (const m of row.measures) {
      if (m.budget?.ratio === undefined) continue;
      const r = observeRatio(row, m.key);
      lines.push({
        measure: `${row.name}: ${m.label}`,
        ratio: r,
        budget: { ratio: m.budget.ratio, label: m.budget.label },
        shown: { value: Number.isFinite(r) ? `${r.toFixed(3)}×` : "n/a", verdict: observeVerdict(m, r) },
      });
    }
  }
  return lines;
}

export function renderMarkdown(res: Results): string {
  const first =
    res.websocket ??
    res.socketio ??
    res.cluster ??
    res.workers ??
    res.memory ??
    res.bundle ??
    res.scale ??
    res.polling ??
    res.handshake ??
    res.broadcast ??
    res.compression ??
    res.observe;
  const m = first?.machine;
  const out: string[] = [
    "# Volley benchmarks",
    "",
    m ? `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, Node ${m.node}.` : "",
    "",
    "CPU µs/msg = server process CPU time (user+system, `process.cpuUsage()` in the server child) over the",
    "measured window ÷ messages echoed (echo rows) or deliveries (fan-out rows). Ratio = Volley ÷ reference",
    "(lower is better). CPU spread = half the range of a side's runs in % of its median: ratios closer to a",
    "budget than the spreads are within noise. msgs/s and latency are seen by the generator (a separate",
    "process); fan-out latency is from the trigger to the last recipient.",
  ];
  const budgets = budgetLines(res);
  if (budgets.length) {
    out.push(
      "",
      "## Budgets (DESIGN.md)",
      "",
      markdownTable(
        ["measure", "Volley ÷ reference", "budget", ""],
        budgets.map((l) => [
          l.measure,
          l.shown?.value ?? fmtRatio(l.ratio),
          l.budget.label,
          l.shown?.verdict ?? verdict(l.ratio, l.budget),
        ]),
      ),
    );
  }
  const notes: string[] = [];
  if (res.websocket) {
    out.push("", "## WebSocket (@volley/websocket vs ws + bufferutil)", "", measuredLine(res.websocket), "");
    out.push(throughputTable(res.websocket.data));
    notes.push(...errorNotes(res.websocket.data));
  }
  if (res.socketio) {
    out.push("", "## Socket.IO (volley vs socket.io 4.8)", "", measuredLine(res.socketio), "");
    out.push(throughputTable(res.socketio.data));
    notes.push(...errorNotes(res.socketio.data));
  }
  if (res.cluster) {
    out.push(
      "",
      "## Cluster (volley + @volley/redis-adapter vs socket.io 4.8 + @socket.io/redis-adapter)",
      "",
      measuredLine(res.cluster),
      "",
      "3 server children on one redis-server of the row's own; clients spread round robin over the nodes,",
      "the driver on the first. Server CPU = the 3 children's `process.cpuUsage()` summed; Redis CPU =",
      "redis-server's `INFO CPU` (`used_cpu_user` + `used_cpu_sys`) over the same window; both ÷ deliveries",
      "(broadcasts handled × clients).",
      "",
    );
    out.push(clusterTable(res.cluster.data));
    notes.push(...errorNotes(res.cluster.data));
  }
  if (res.workers) {
    out.push(...workersSection(res.workers.data, measuredLine(res.workers)));
    notes.push(...workersNotes(res.workers.data));
  }
  if (res.memory) {
    out.push("", "## Server memory per idle connection (after GC)", "", measuredLine(res.memory), "");
    out.push(memoryTable(res.memory.data));
    notes.push(...errorNotes(res.memory.data));
  }
  if (res.bundle) {
    const b = res.bundle.data;
    out.push("", "## Browser bundle", "", measuredLine(res.bundle), "", bundleTable(b));
    if (b.volley) out.push("", `Volley: ${b.volley.source}.`);
    if (b.volleyError) notes.push(`- bundle [volley]: ${b.volleyError}`);
    if (b.referenceError) notes.push(`- bundle [socket.io-client]: ${b.referenceError}`);
  }
  for (const key of Object.keys(TRIO_TITLES) as TrioSuite[]) {
    const run = res[key];
    if (!run) continue;
    out.push("", `## ${TRIO_TITLES[key]}`, "", measuredLine(run), "", trioTable(run.data));
    if (key === "scale" && run.data.length > 1) {
      out.push("", "Growth per connection fitted over the rows (least squares), and what it projects:", "");
      out.push(projectionTable(run.data));
    }
    notes.push(...errorNotes(run.data));
  }
  if (res.observe) {
    out.push(
      "",
      "## Logging and metrics cost (volley plain vs volley observed)",
      "",
      measuredLine(res.observe),
      "",
      "Observed: the `metrics` option on, `GET /metrics` every second from the orchestrator (one keep-alive",
      "connection, as Prometheus), `setDebugOutput` installed and every debug logger off, the app's handlers",
      "guarded by their own logger. Paired runs: observed ÷ plain of runs taken back to back.",
      "",
      observeTable(res.observe.data),
    );
    notes.push(...errorNotes(res.observe.data));
  }
  if (notes.length) out.push("", "## Failed runs", "", ...notes);
  return `${out.join("\n")}\n`;
}
