// Closed-loop echo: every client keeps exactly one request in flight for the duration of the window.
import { Samples } from "../lib/stats.js";
import type { LoadClient } from "./client.js";

export interface EchoResult {
  /** Replies received inside the window. */
  count: number;
  elapsedMs: number;
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
}

export function runEcho(clients: LoadClient[], durationMs: number, drainMs: number): Promise<EchoResult> {
  const samples = new Samples();
  let errors = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  const start = performance.now();
  const end = start + durationMs;
  return new Promise((resolve) => {
    let drainTimer: NodeJS.Timeout | undefined;
    let stopTimer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(stopTimer);
      clearTimeout(drainTimer);
      for (const c of clients) {
        c.onReply = () => {};
        c.onError = () => {};
      }
      const [p50, p99] = samples.percentiles([0.5, 0.99]);
      resolve({ count: samples.count, elapsedMs: durationMs, p50: p50!, p99: p99!, errors, firstError });
    };
    const onError = (reason: string) => {
      errors++;
      firstError ??= reason;
    };
    for (const client of clients) {
      let sentAt = 0;
      client.onError = onError;
      client.onReply = () => {
        const now = performance.now();
        inFlight--;
        if (now < end) {
          samples.add(now - sentAt);
          sentAt = now;
          inFlight++;
          client.sendEcho();
        } else if (inFlight === 0) finish();
      };
      sentAt = performance.now();
      inFlight++;
      client.sendEcho();
    }
    // Bounded in time whatever the server does: stop waiting for stragglers after the drain period.
    stopTimer = setTimeout(() => {
      drainTimer = setTimeout(() => {
        onError(`${inFlight} replies missing after the window`);
        finish();
      }, drainMs);
    }, durationMs);
  });
}
