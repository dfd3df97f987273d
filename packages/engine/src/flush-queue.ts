/** Something with packets to write at the end of the current turn of the event loop. */
export interface Flushable {
  runScheduledFlush(): void;
}

/** Default longest run of flushes before the event loop gets a turn (the `flushSliceMs` option). */
export const FLUSH_SLICE_MS = 10;
/** Flushes between two looks at the clock. */
const CHUNK = 32;

/** How a {@link FlushQueue} divides its work; `now` is injectable for tests. */
export interface FlushQueueOptions {
  /** Milliseconds of flushing before yielding to the event loop. Default {@link FLUSH_SLICE_MS}. */
  sliceMs?: number;
  /** Flushes between two looks at the clock. Default 32. */
  chunk?: number;
  now?: () => number;
}

/**
 * Batches writes: every session that queued packets in this turn is flushed once, by one shared
 * `setImmediate` (not one timer per packet or per session), so a burst of sends leaves in one write.
 *
 * A big broadcast (thousands of sessions) is sent in slices of `sliceMs`: past it, the rest waits for the
 * next turn, so timers (heartbeats, the application's) and I/O run in between instead of waiting for the
 * last recipient. Sessions queued while a slice runs wait for the next turn, after the ones already waiting.
 * With nothing waiting, {@link mayRunNow} lets a first chunk of flushes run at once instead.
 */
export class FlushQueue {
  private pending: Array<Flushable | undefined> = [];
  /** Next entry of `pending` to flush. */
  private head = 0;
  /** End of the entries the current turn flushes (those queued before it started). */
  private limit = 0;
  private scheduled = false;
  private sliceEnd = 0;
  /** When the current turn's first {@link runNowOrQueue} ran (reset at the end of the turn). */
  private turnStart = 0;
  private turnStarted = false;
  /** Runs {@link runNowOrQueue} put in the queue that have not started yet. */
  private deferred = 0;
  /** Flushes {@link mayRunNow} allowed since the last tick. */
  private direct = 0;
  private readonly sliceMs: number;
  private readonly chunk: number;
  private readonly now: () => number;

  constructor(options: FlushQueueOptions = {}) {
    this.sliceMs = options.sliceMs ?? FLUSH_SLICE_MS;
    this.chunk = options.chunk ?? CHUNK;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Runs `target` now, unless this turn of the event loop has already been busy for `sliceMs` since the
   * first such call (a burst: hundreds of handshakes read in one turn), or earlier ones still wait: then it
   * waits its turn in the queue (first come, first served), with timers and I/O before it.
   */
  runNowOrQueue(target: Flushable): void {
    const now = this.now();
    if (!this.turnStarted) {
      this.turnStarted = true;
      this.turnStart = now;
      setImmediate(this.endTurn);
    }
    if (this.deferred === 0 && now - this.turnStart < this.sliceMs) {
      target.runScheduledFlush();
      return;
    }
    this.deferred++;
    this.add(new Deferred(this, target));
  }

  /**
   * Whether a flush may run now, inside the caller, instead of at the end of the turn: nothing waits in
   * the queue (a broadcast being sliced keeps its slices, and those queued first go first) and fewer than
   * `chunk` flushes ran at once since the last tick. Their websocket writes leave together on the next
   * tick, so the bound keeps that run as short as one chunk of a slice; past it, flushes queue.
   */
  mayRunNow(): boolean {
    if (this.head < this.pending.length || this.direct >= this.chunk) return false;
    if (this.direct++ === 0) process.nextTick(this.resetDirect);
    return true;
  }

  private readonly resetDirect = (): void => {
    this.direct = 0;
  };

  /** @internal A deferred run is starting. */
  onDeferredRun(): void {
    this.deferred--;
  }

  /** Queues `target` for a flush at the end of this turn (after those already queued). */
  add(target: Flushable): void {
    this.pending.push(target);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.startSlice);
    }
  }

  private readonly endTurn = (): void => {
    this.turnStarted = false;
  };

  private readonly startSlice = (): void => {
    this.sliceEnd = this.now() + this.sliceMs;
    if (this.head >= this.limit) this.limit = this.pending.length;
    this.runChunk();
  };

  private readonly runChunk = (): void => {
    const pending = this.pending;
    const stop = Math.min(this.limit, this.head + this.chunk);
    let finished = false;
    try {
      while (this.head < stop) {
        const target = pending[this.head]!;
        pending[this.head++] = undefined;
        target.runScheduledFlush();
      }
      finished = true;
    } finally {
      // A flush that threw (a `drain` listener, say) leaves the rest for the next turn, never stuck.
      if (!finished) setImmediate(this.startSlice);
    }
    if (this.head < this.limit) {
      // The websocket writes of a flush happen in `process.nextTick` (its send queue's cork): looking at
      // the clock in a tick queued after them counts them in the slice.
      process.nextTick(this.afterChunk);
      return;
    }
    this.pending = pending.slice(this.head);
    this.head = 0;
    this.limit = 0;
    if (this.pending.length === 0) this.scheduled = false;
    else setImmediate(this.startSlice);
  };

  private readonly afterChunk = (): void => {
    if (this.now() < this.sliceEnd) this.runChunk();
    else setImmediate(this.startSlice);
  };
}

/** A run {@link FlushQueue.runNowOrQueue} put off: counted until it starts. */
class Deferred implements Flushable {
  constructor(
    private readonly queue: FlushQueue,
    private readonly target: Flushable,
  ) {}

  runScheduledFlush(): void {
    this.queue.onDeferredRun();
    this.target.runScheduledFlush();
  }
}
