// `volley-observed`: the `volley` bench server as a production app runs it — the `metrics` option on
// (Prometheus text at /metrics, scraped by the orchestrator every second, suites/scraper.ts) and a debug
// logger installed but off: lines would go to a sink of the app's, no pattern enables them. The
// observe suite alternates it with plain `volley` to price logging and metrics (issue 16 item 8).
import type { ClusterOptions } from "./cluster.js";
import type { AppLogger } from "./sio-app.js";
import type { Counters, Scenario, ServerUnderTest } from "./types.js";
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
  const server = await startVolleyServer(scenario, counters, cluster, {
    options: { metrics: { path: METRICS_PATH } },
    log,
  });
  return {
    ...server,
    close: async () => {
      await server.close();
      if (linesLogged > 0) throw new Error(`the disabled debug logger printed ${linesLogged} lines`);
    },
  };
}
