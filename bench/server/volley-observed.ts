// `volley-observed`: the `volley` bench server as a production app runs it — the `metrics` option on
// (Prometheus text at /metrics, scraped by the orchestrator every second, suites/scraper.ts) and a debug
// logger installed but off: lines would go to a sink of the app's, no pattern enables them. The
// observe suite alternates it with plain `volley` to price logging and metrics (issue 16 item 8).
import type { IncomingMessage, Server } from "node:http";
import type { ClusterOptions } from "./cluster.js";
import type { AppLogger } from "./sio-app.js";
import type { Counters, Scenario, ScrapeStats, ServerUnderTest } from "./types.js";
import { startVolleyServer } from "./volley-server.js";

interface VolleyDebugModule {
  createDebug(namespace: string): AppLogger;
  enableDebug(patterns: string): void;
  setDebugOutput(output: ((line: string) => void) | undefined): void;
}

// Loaded by name, as volley-server.ts does: the bench does not type-check against the package.
const MODULE = "volley";

/** Where the observed server serves its metrics. */
export const METRICS_PATH = "/metrics";

/** Lines the sink got: stays 0 while logging is off (checked by the suite through the scrape body). */
let linesLogged = 0;

/**
 * Charges the CPU of Volley's request listener to `stats` for every metrics request: one listener put
 * before it and one after (listeners run in order, in one go, and Volley answers a scrape synchronously),
 * so each scrape is priced as served — at the JIT tier a once-a-second call runs at.
 */
function instrumentScrapes(http: Server, stats: ScrapeStats): void {
  let started: NodeJS.CpuUsage | undefined;
  const isScrape = (req: IncomingMessage) => req.url === METRICS_PATH;
  http.prependListener("request", (req) => {
    if (isScrape(req)) started = process.cpuUsage();
  });
  http.on("request", (req) => {
    if (!isScrape(req) || started === undefined) return;
    const used = process.cpuUsage(started);
    started = undefined;
    stats.served++;
    stats.cpuUs += used.user + used.system;
  });
}

export async function startVolleyObserved(
  scenario: Scenario,
  counters: Counters,
  cluster?: ClusterOptions,
): Promise<ServerUnderTest> {
  const mod = (await import(MODULE)) as VolleyDebugModule;
  // Off whatever DEBUG the bench was started with: the cost measured is that of disabled logging.
  mod.enableDebug("");
  mod.setDebugOutput(() => {
    linesLogged++;
  });
  const log = mod.createDebug("bench:app");
  const stats: ScrapeStats = { served: 0, cpuUs: 0 };
  const server = await startVolleyServer(scenario, counters, cluster, {
    options: { metrics: { path: METRICS_PATH } },
    log,
    instrument: (http) => instrumentScrapes(http, stats),
    scrapeStats: () => ({ ...stats }),
  });
  return {
    ...server,
    close: async () => {
      await server.close();
      if (linesLogged > 0) throw new Error(`the disabled debug logger printed ${linesLogged} lines`);
    },
  };
}
