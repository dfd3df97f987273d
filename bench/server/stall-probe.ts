// Where an event-loop stall comes from: a 10 ms JS timer that, at each tick, reads the main thread's
// scheduler statistics (/proc/self/schedstat: ns on a CPU, ns waiting for one). For the longest gap between
// two ticks it keeps how much of it the thread ran (the server's own work: what an idle machine would also
// see) and how long it waited for a core (other processes: what a loaded machine adds).
import { readFileSync } from "node:fs";

const INTERVAL_MS = 10;
const SCHEDSTAT = "/proc/self/schedstat";

export interface StallReport {
  /** Longest time between two ticks, ms (late by this minus 10 ms). */
  gapMs: number;
  /** Of that gap: the main thread on a CPU, ms. */
  runMs: number;
  /** Of that gap: the main thread runnable but waiting for a CPU, ms. */
  waitMs: number;
  /** Longest time the main thread ran between two ticks, ms, whatever the gap (the server's own stall). */
  maxRunMs: number;
}

function readSchedstat(): [run: number, wait: number] | undefined {
  try {
    const [run, wait] = readFileSync(SCHEDSTAT, "latin1").split(" ");
    return [Number(run) / 1e6, Number(wait) / 1e6];
  } catch {
    return undefined;
  }
}

export class StallProbe {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private lastSched: [number, number] | undefined;
  private report: StallReport = { gapMs: 0, runMs: 0, waitMs: 0, maxRunMs: 0 };

  /** Starts (or restarts) measuring from now. */
  reset(): void {
    this.stop();
    this.report = { gapMs: 0, runMs: 0, waitMs: 0, maxRunMs: 0 };
    this.last = performance.now();
    this.lastSched = readSchedstat();
    this.timer = setInterval(() => this.tick(), INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops and returns the figures since {@link reset}. */
  take(): StallReport {
    this.stop();
    return this.report;
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = performance.now();
    const sched = readSchedstat();
    const gap = now - this.last;
    const run = sched && this.lastSched ? sched[0] - this.lastSched[0] : Number.NaN;
    const wait = sched && this.lastSched ? sched[1] - this.lastSched[1] : Number.NaN;
    if (gap > this.report.gapMs) this.report = { ...this.report, gapMs: gap, runMs: run, waitMs: wait };
    if (run > this.report.maxRunMs) this.report.maxRunMs = run;
    this.last = performance.now();
    this.lastSched = sched;
  }
}
