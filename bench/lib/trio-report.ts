// Tables of the three-server rows: one line per measure, Volley beside socket.io and the floor, with both
// ratios; and for the memory rows, the per-connection slope and what it projects for 100,000 and 1,000,000.
import type { Measure } from "../suites/trio-rows.js";
import type { TrioRowResult } from "../suites/trio.js";
import { median } from "./stats.js";
import { fmt, fmtInt, fmtRatio, markdownTable, ratio } from "./table.js";

function value(v: number | undefined, m: Measure): string {
  return m.digits === 0 ? fmtInt(v) : fmt(v, m.digits);
}

function verdict(m: Measure, volley: number | undefined, r: number, floor: number): string {
  const b = m.budget;
  if (!b) return "—";
  if (b.floorRatio !== undefined) {
    if (!Number.isFinite(floor)) return "n/a";
    return floor <= b.floorRatio + 1e-9 ? "met" : "NOT met";
  }
  if (b.max !== undefined) {
    if (volley === undefined || !Number.isFinite(volley)) return "n/a";
    return volley <= b.max ? "met" : "NOT met";
  }
  if (b.ratio === undefined || !Number.isFinite(r)) return "n/a";
  // A hair of tolerance for rounding in the printed ratio only.
  const met = m.higherIsBetter ? r >= b.ratio - 1e-9 : r <= b.ratio + 1e-9;
  return met ? "met" : "NOT met";
}

/** Half the range of a side's runs in % of their median. */
function spread(values: number[]): string {
  const m = median(values);
  if (values.length < 2 || !Number.isFinite(m) || m === 0) return "n/a";
  return fmt((50 * (Math.max(...values) - Math.min(...values))) / m, 0);
}

/** The third column's name: the floor on bare ws, or the polling floor on node:net (`--floor net`). */
function floorLabel(impl: string): string {
  return impl === "net-floor" ? "node:net floor" : "bare ws";
}

function runsNote(row: TrioRowResult): string {
  const n = row.sides.map((s) => s.samples.length).join("/");
  return row.sides.some((s) => s.errors.length > 0) ? `${n} ⚠` : n;
}

export function trioTable(rows: TrioRowResult[]): string {
  if (rows.length === 0) return "";
  const [a, b, c] = rows[0]!.sides;
  const header = [
    "row",
    "measure",
    a.impl,
    b.impl,
    `${floorLabel(c.impl)} (${c.impl})`,
    `÷ ${b.impl}`,
    `÷ ${floorLabel(c.impl)}`,
    "budget",
    "",
    "spread %",
    "runs",
  ];
  const body: string[][] = [];
  for (const row of rows) {
    const [x, y, z] = row.sides;
    row.measures.forEach((m, i) => {
      const r = ratio(x.median[m.key], y.median[m.key]);
      const rFloor = ratio(x.median[m.key], z.median[m.key]);
      body.push([
        i === 0 ? row.name : "",
        m.label,
        value(x.median[m.key], m),
        value(y.median[m.key], m),
        value(z.median[m.key], m),
        fmtRatio(r),
        fmtRatio(rFloor),
        m.budget?.label ?? "—",
        verdict(m, x.median[m.key], r, rFloor),
        row.sides.map((s) => `±${spread(s.samples.map((v) => v[m.key] ?? Number.NaN))}`).join(" / "),
        i === 0 ? runsNote(row) : "",
      ]);
    });
  }
  return markdownTable(header, body);
}

/** Least-squares line through (x, y): slope and intercept. */
function fit(points: [number, number][]): { slope: number; intercept: number } | undefined {
  const good = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (good.length < 2) return undefined;
  const mx = good.reduce((s, [x]) => s + x, 0) / good.length;
  const my = good.reduce((s, [, y]) => s + y, 0) / good.length;
  const sxx = good.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  const slope = good.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * Per library: the slope of RSS and heap growth over the connection counts of the memory rows (MB per
 * connection, as KB), and the RSS and heap that slope gives 100,000 and 1,000,000 connections.
 */
export function projectionTable(rows: TrioRowResult[]): string {
  if (rows.length < 2) return "";
  const body = rows[0]!.sides.map((_, s) => {
    const impl = rows[0]!.sides[s]!.impl;
    const rss = fit(rows.map((r) => [r.clients, r.sides[s]!.median.rssMb ?? Number.NaN]));
    const heap = fit(rows.map((r) => [r.clients, r.sides[s]!.median.heapMb ?? Number.NaN]));
    const gb = (line: typeof rss, n: number) => (line ? fmt((line.slope * n) / 1024, 2) : "n/a");
    return [
      impl,
      rss ? fmt(rss.slope * 1024, 2) : "n/a",
      heap ? fmt(heap.slope * 1024, 2) : "n/a",
      gb(rss, 100_000),
      gb(heap, 100_000),
      gb(rss, 1_000_000),
      gb(heap, 1_000_000),
    ];
  });
  return markdownTable(
    [
      "server",
      "RSS KB/conn (slope)",
      "heap KB/conn (slope)",
      "100,000: RSS GB",
      "heap GB",
      "1,000,000: RSS GB",
      "heap GB",
    ],
    body,
  );
}
