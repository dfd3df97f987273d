// Table of the observe suite: plain Volley beside the observed one (metrics scraped, debug logger off),
// the ratio observed ÷ plain of the medians and the median of the per-run ratios, against ≤ 1.05×.
import type { ObserveRowResult } from "../suites/observe.js";
import type { Measure } from "../suites/trio-rows.js";
import { median } from "./stats.js";
import { fmt, fmtInt, markdownTable, ratio } from "./table.js";

/** Figures only the observed side has. */
const OBSERVED_ONLY = new Set(["scrapes", "scrapeUs", "scrapeSharePct"]);

/** Three decimals: the budget is 5 %, two would round 1.054 to a pass. */
const fmtRatio3 = (r: number) => (Number.isFinite(r) ? `${r.toFixed(3)}×` : "n/a");

function value(v: number | undefined, m: Measure): string {
  return m.digits === 0 ? fmtInt(v) : fmt(v, m.digits);
}

/** Half the range of a side's runs in % of their median. */
function spread(values: number[]): string {
  const m = median(values);
  if (values.length < 2 || !Number.isFinite(m) || m === 0) return "n/a";
  return fmt((50 * (Math.max(...values) - Math.min(...values))) / m, 1);
}

/** Whether observed ÷ plain meets the measure's budget ("—" without one). */
export function observeVerdict(m: Measure, r: number): string {
  if (m.budget?.ratio === undefined) return "—";
  if (!Number.isFinite(r)) return "n/a";
  return r <= m.budget.ratio + 1e-9 ? "met" : "NOT met";
}

/** The ratio the verdict is taken on: observed ÷ plain of the medians. */
export function observeRatio(row: ObserveRowResult, key: string): number {
  const [plain, observed] = row.sides;
  return ratio(observed.median[key], plain.median[key]);
}

export function observeTable(rows: ObserveRowResult[]): string {
  if (rows.length === 0) return "";
  const [a, b] = rows[0]!.sides;
  const header = [
    "row",
    "measure",
    a.impl,
    // --aa: plain against plain.
    b.impl === a.impl ? `${b.impl} (A/A)` : b.impl,
    "observed ÷ plain",
    "paired runs: median (min–max)",
    "budget",
    "",
    "spread %",
    "runs",
  ];
  const body: string[][] = [];
  for (const row of rows) {
    const [plain, observed] = row.sides;
    const failed = row.sides.some((s) => s.errors.length > 0);
    row.measures.forEach((m, i) => {
      const r = observeRatio(row, m.key);
      const p = m.key === "cpuUs" ? row.pairedCpuRatios : [];
      body.push([
        i === 0 ? row.name : "",
        m.label,
        value(plain.median[m.key], m),
        value(observed.median[m.key], m),
        OBSERVED_ONLY.has(m.key) ? "—" : fmtRatio3(r),
        p.length ? `${fmtRatio3(median(p))} (${fmt(Math.min(...p), 3)}–${fmt(Math.max(...p), 3)})` : "",
        m.budget?.label ?? "—",
        observeVerdict(m, r),
        OBSERVED_ONLY.has(m.key)
          ? ""
          : row.sides.map((s) => `±${spread(s.samples.map((v) => v[m.key] ?? Number.NaN))}`).join(" / "),
        i === 0 ? `${plain.samples.length}/${observed.samples.length}${failed ? " ⚠" : ""}` : "",
      ]);
    });
  }
  return markdownTable(header, body);
}
