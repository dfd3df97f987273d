// Broadcast fan-out: a driver client asks the server to broadcast message `seq`; when every expected
// recipient has it, the next one goes out. `depth` broadcasts are kept in flight so neither side idles.
import { Samples } from "../lib/stats.js";
import type { LoadClient } from "./client.js";

export interface FanoutResult {
  /** Broadcasts completed (all recipients reached) inside the window. */
  broadcasts: number;
  /** Messages received by clients inside the window. */
  deliveries: number;
  /** Messages received by clients in the whole call (window and drain). */
  received: number;
  elapsedMs: number;
  /** Time from trigger to the last recipient, ms. */
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
}

export interface FanoutOptions {
  durationMs: number;
  drainMs: number;
  depth: number;
  /** Recipients per target: one entry (everyone) for `io.emit` / ws fan-out, or one per room. */
  targets: { room?: string; recipients: number }[];
}

export function runFanout(clients: LoadClient[], options: FanoutOptions): Promise<FanoutResult> {
  const { durationMs, drainMs, depth, targets } = options;
  const driver = clients[0]!;
  const samples = new Samples();
  const pending = new Map<number, { remaining: number; sentAt: number }>();
  let deliveries = 0;
  let received = 0;
  let errors = 0;
  let firstError: string | undefined;
  let nextSeq = 1;
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
        c.onTick = () => {};
        c.onError = () => {};
      }
      const [p50, p99] = samples.percentiles([0.5, 0.99]);
      resolve({
        broadcasts: samples.count,
        deliveries,
        received,
        elapsedMs: durationMs,
        p50: p50!,
        p99: p99!,
        errors,
        firstError,
      });
    };
    const onError = (reason: string) => {
      errors++;
      firstError ??= reason;
    };
    const trigger = () => {
      const seq = nextSeq++;
      const target = targets[seq % targets.length]!;
      pending.set(seq, { remaining: target.recipients, sentAt: performance.now() });
      driver.sendTrigger(seq, target.room);
    };
    const onTick = (seq: number) => {
      const entry = pending.get(seq);
      if (!entry) return onError(`unexpected broadcast ${seq}`);
      const now = performance.now();
      received++;
      if (now < end) deliveries++;
      if (--entry.remaining > 0) return;
      pending.delete(seq);
      if (now < end) {
        samples.add(now - entry.sentAt);
        trigger();
      } else if (pending.size === 0) finish();
    };
    for (const c of clients) {
      c.onTick = onTick;
      c.onError = onError;
    }
    for (let i = 0; i < depth; i++) trigger();
    stopTimer = setTimeout(() => {
      drainTimer = setTimeout(() => {
        let missing = 0;
        for (const e of pending.values()) missing += e.remaining;
        onError(`${missing} deliveries missing after the window`);
        finish();
      }, drainMs);
    }, durationMs);
  });
}
