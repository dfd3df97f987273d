// What a cluster node counts for `io.metrics()`: requests to the other nodes and their latency,
// errors by code. Read through `Adapter.clusterMetrics()`.
import type { ClusterMetricsSnapshot } from "../metrics-snapshot.js";

/** Upper bounds of the request latency buckets, seconds. */
const DURATION_BOUNDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ClusterStats {
  requests = 0;
  requestsFailed = 0;
  private readonly buckets = DURATION_BOUNDS.map(() => 0);
  private durationSum = 0;
  private readonly errors = new Map<string, number>();

  /** A request ended after `seconds`; `failed` when it did not get every answer. */
  request(seconds: number, failed: boolean): void {
    this.requests++;
    if (failed) this.requestsFailed++;
    this.durationSum += seconds;
    for (let i = 0; i < DURATION_BOUNDS.length; i++) {
      if (seconds <= DURATION_BOUNDS[i]!) {
        this.buckets[i]!++;
        break;
      }
    }
  }

  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  snapshot(nodes: number, broadcastsLost: number): ClusterMetricsSnapshot {
    const counts: number[] = [];
    let cumulative = 0;
    for (const n of this.buckets) {
      cumulative += n;
      counts.push(cumulative);
    }
    return {
      nodes,
      requests: this.requests,
      requestsFailed: this.requestsFailed,
      requestDuration: {
        bounds: DURATION_BOUNDS.slice(),
        counts,
        count: this.requests,
        sum: this.durationSum,
      },
      errors: Object.fromEntries(this.errors),
      broadcastsLost,
    };
  }
}
