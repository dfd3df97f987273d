// A clock for the `clock` option that moves only when the test says so: `advance(ms)` runs what falls due.
// It is also a client's `timers` option (whose timers take no argument). Engine, server and client tests use it.
import type { Clock } from "@volley/engine";

interface Pending {
  at: number;
  callback: (arg: unknown) => void;
  arg: unknown;
}

export class ManualClock implements Clock {
  private time = 0;
  private pending = new Set<Pending>();

  now(): number {
    return this.time;
  }

  setTimeout<A>(callback: (arg: A) => void, ms: number, arg?: A): unknown {
    const entry: Pending = { at: this.time + ms, callback: callback as (arg: unknown) => void, arg };
    this.pending.add(entry);
    return entry;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as Pending);
  }

  /** Moves time forward, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.pending) if (p.at <= end && (!next || p.at < next.at)) next = p;
      if (!next) break;
      this.pending.delete(next);
      this.time = next.at;
      next.callback(next.arg);
    }
    this.time = end;
  }
}
