/** Default `perMessageDeflate.concurrencyLimit`: zlib operations running at once, as in `ws`. */
export const DEFAULT_CONCURRENCY_LIMIT = 10;

/** A zlib operation waiting for a slot. */
export interface ZlibJob {
  /**
   * Starts the operation in the slot it was given, which it must later hand back with `release()`.
   * Returns false when there is nothing to do any more (its connection closed): the slot is then
   * passed on at once.
   */
  startZlib(): boolean;
}

/**
 * Caps the zlib operations (one deflate or one inflate call each) running at once across many
 * connections: zlib work runs on libuv's small thread pool, and thousands of connections compressing
 * at once would starve it and hold the memory of every pending output. Jobs beyond the limit wait in
 * arrival order; a connection queues at most one job per direction, so its messages keep their order.
 */
export class ZlibLimiter {
  readonly limit: number;
  private running = 0;
  private readonly queue: ZlibJob[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Operations holding a slot. */
  get active(): number {
    return this.running;
  }

  /** Operations waiting for a slot. */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs `job` now if a slot is free, else when one is released. */
  run(job: ZlibJob): void {
    if (this.running < this.limit) {
      this.running++;
      if (!job.startZlib()) this.release();
      return;
    }
    this.queue.push(job);
  }

  /** Hands a slot back: the oldest waiting job that still has work takes it. */
  release(): void {
    // A loop, not recursion: a long run of closed connections' jobs must not grow the stack.
    // (V8 shifts arrays in place; the queue holds at most two jobs per connection.)
    for (let job = this.queue.shift(); job !== undefined; job = this.queue.shift()) {
      if (job.startZlib()) return;
    }
    this.running--;
  }
}

const clientLimiters = new Map<number, ZlibLimiter>();

/**
 * Client connections of one process share a limiter per limit value (each server has its own), so a
 * process opening many clients is capped as a server is.
 */
export function sharedClientLimiter(limit: number): ZlibLimiter {
  let limiter = clientLimiters.get(limit);
  if (limiter === undefined) {
    limiter = new ZlibLimiter(limit);
    clientLimiters.set(limit, limiter);
  }
  return limiter;
}
