// The observe suite (issue 16 item 8): the same Volley app twice in one run, alternating — plain, and
// "observed" as a production app runs (the `metrics` option on and scraped every second, a debug logger
// installed but off) — on echo+ack, io.emit to 1,000 and a handshake storm. Budget: CPU observed ÷ plain
// ≤ 1.05×.
import type { Config } from "../lib/config.js";
import { METRICS_PATH } from "../server/volley-observed.js";
import type { Impl, ScrapeStats } from "../server/types.js";
import { BenchError } from "../lib/ipc.js";
import { runEachRow } from "./alternate.js";
import type { Env } from "./measure.js";
import { Scraper } from "./scraper.js";
import type { TrioSide } from "./trio.js";
import {
  measureFlow,
  measureHandshake,
  type RunObserver,
  TrioChildren,
  sampleMedians,
  type TrioSample,
} from "./trio-measure.js";
import type { FlowRow, HandshakeRow, Measure } from "./trio-rows.js";

export type ObserveRow = FlowRow | HandshakeRow;

export interface ObserveRowResult {
  name: string;
  kind: ObserveRow["kind"];
  clients: number;
  measures: Measure[];
  /** [plain, observed]. */
  sides: [TrioSide, TrioSide];
  /** Per run, observed ÷ plain of the CPU figure (runs i of both sides, taken back to back). */
  pairedCpuRatios: number[];
}

/** [plain, observed]; with --aa [plain, plain] (the noise of the method: ratios should be ≈ 1.000). */
export function observeImpls(aa: boolean): [Impl, Impl] {
  return aa ? ["volley", "volley"] : ["volley", "volley-observed"];
}

const MAX_FAILURES = 2;

const BUDGET = { ratio: 1.05, label: "≤ 1.05×" };
const SCRAPES: Measure = { key: "scrapes", label: "scrapes in the run", digits: 0 };
const SCRAPE_US: Measure = { key: "scrapeUs", label: "CPU µs per scrape answered", digits: 0 };
const SCRAPE_SHARE: Measure = { key: "scrapeSharePct", label: "1 scrape/s in % of server CPU", digits: 3 };

export function observeRows(c: Config): ObserveRow[] {
  const fan = c.quick ? 200 : 1000;
  const storm = c.quick ? 300 : 2000;
  const rate = (label: string): Measure => ({ key: "rate", label, digits: 0, higherIsBetter: true });
  return [
    {
      kind: "echo",
      name: "observed echo+ack 32 B, 50 clients",
      protocol: "socketio",
      clients: c.quick ? 20 : 50,
      size: 32,
      measures: [
        { key: "cpuUs", label: "CPU µs/msg", digits: 2, budget: BUDGET },
        rate("msgs/s"),
        { key: "p50", label: "p50 ms", digits: 2 },
        SCRAPES,
        SCRAPE_US,
        SCRAPE_SHARE,
      ],
    },
    {
      kind: "fanout",
      name: `observed io.emit 32 B to ${fan}`,
      protocol: "socketio",
      clients: fan,
      size: 32,
      depth: 2,
      measures: [
        { key: "cpuUs", label: "CPU µs/delivery", digits: 3, budget: BUDGET },
        rate("deliveries/s"),
        { key: "p50", label: "p50 ms to last", digits: 2 },
        SCRAPES,
        SCRAPE_US,
        SCRAPE_SHARE,
      ],
    },
    {
      kind: "handshake",
      name: `observed connect storm, ${storm} clients, websocket`,
      transport: "websocket",
      clients: storm,
      measures: [
        { key: "cpuUs", label: "CPU µs/connect", digits: 1, budget: BUDGET },
        rate("connects/s"),
        { key: "p50", label: "p50 ms to first ack", digits: 1 },
        SCRAPES,
        SCRAPE_US,
        SCRAPE_SHARE,
      ],
    },
  ];
}

/**
 * The scraper of the observed side (the plain side serves no metrics and is not scraped), and the CPU the
 * server's handler spent per scrape it answered over the run.
 */
const scrapeMetrics: RunObserver = (port, server) => {
  const scraper = new Scraper(port, METRICS_PATH);
  return {
    stop: async () => {
      const figures = await scraper.stop();
      const served = await server.request<ScrapeStats>("scrapeStats", {}, 30_000);
      if (served.served !== figures.scrapes) {
        throw new BenchError("RUN_INVALID", `${figures.scrapes} scrapes sent, ${served.served} served`);
      }
      return { ...figures, scrapeUs: served.served ? served.cpuUs / served.served : Number.NaN };
    },
  };
};

/**
 * The share of the server's CPU that scraping once a second takes: one answer's CPU ÷ the server's CPU
 * per second in the window (CPU per unit × units per second), in %.
 */
export function scrapeShare(sample: TrioSample): number {
  const perSecond = (sample.cpuUs ?? Number.NaN) * (sample.rate ?? Number.NaN);
  return (100 * (sample.scrapeUs ?? Number.NaN)) / perSecond;
}

async function runRow(env: Env, row: ObserveRow, deadline: number): Promise<ObserveRowResult> {
  const sides = observeImpls(env.config.aa).map(
    (impl): TrioSide => ({ impl, samples: [], errors: [], median: {} }),
  ) as [TrioSide, TrioSide];
  const runs = env.config.runs;
  const paired: number[] = [];
  const children = new TrioChildren(env, row);
  try {
    for (let run = 0; run < runs; run++) {
      const cpu: (number | undefined)[] = [];
      for (let i = 0; i < sides.length; i++) {
        const side = sides[i]!;
        if (side.errors.length >= MAX_FAILURES) continue;
        if (Date.now() > deadline) {
          side.errors.push("suite time budget exhausted");
          continue;
        }
        const observe = side.impl === "volley-observed" ? scrapeMetrics : undefined;
        try {
          const sample =
            row.kind === "handshake"
              ? await measureHandshake(env, row, side.impl, i, children, run, observe)
              : await measureFlow(env, row, side.impl, i, children, run, observe);
          if (observe) sample.scrapeSharePct = scrapeShare(sample);
          side.samples.push(sample);
          cpu[i] = sample.cpuUs;
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          side.errors.push(message);
          process.stderr.write(`  ! ${row.name} [${side.impl}] run ${run + 1}: ${message}\n`);
        }
      }
      if (cpu[0] !== undefined && cpu[1] !== undefined) paired.push(cpu[1] / cpu[0]);
    }
  } finally {
    await children.stopAll();
  }
  for (const side of sides) side.median = sampleMedians(side.samples);
  return {
    name: row.name,
    kind: row.kind,
    clients: row.clients,
    measures: row.measures,
    sides,
    pairedCpuRatios: paired,
  };
}

export async function runObserveRows(
  env: Env,
  rows: ObserveRow[],
  deadline: number,
  onRow: (r: ObserveRowResult) => void,
): Promise<ObserveRowResult[]> {
  return runEachRow(rows, (row) => runRow(env, row, deadline), onRow);
}
