/** Something with packets to write at the end of the current turn of the event loop. */
export interface Flushable {
  runScheduledFlush(): void;
}

/**
 * Batches writes: every session that queued packets in this turn is flushed once, by one shared
 * `setImmediate` (not one timer per packet or per session), so a burst of sends leaves in one write.
 */
export class FlushQueue {
  private pending: Flushable[] = [];
  private scheduled = false;

  add(target: Flushable): void {
    this.pending.push(target);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i++) batch[i]!.runScheduledFlush();
  };
}
