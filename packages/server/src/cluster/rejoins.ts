// After an outage of the transport, what this node kept for the others must not go out before they
// are back: on a Redis that restarted, a node that has not subscribed again would miss it for good.
// So the kept broadcasts wait until every node known before has shown it is whole again — a
// heartbeat from it, which a node sends only once subscribed (its own announcement when it is back,
// or its answer to ours) — or until a bound passes (a node that died meanwhile never answers).
// Deliberately not "until declared gone": right after a restart, every node that has not subscribed
// again looks gone to the transport.

export class Rejoins {
  private waiting = new Set<string>();
  private done: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** Resolves once each of `uids` was {@link heard}, or after `ms`. A new wait ends the previous one. */
  wait(uids: Iterable<string>, ms: number): Promise<void> {
    this.stop();
    this.waiting = new Set(uids);
    if (this.waiting.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.done = resolve;
      this.timer = setTimeout(() => this.stop(), ms);
      this.timer.unref();
    });
  }

  /** A heartbeat from node `uid`: it is whole again. */
  heard(uid: string): void {
    if (!this.waiting.delete(uid) || this.waiting.size > 0) return;
    this.stop();
  }

  /** Ends the wait now (bound reached, adapter closing). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.clear();
    const done = this.done;
    this.done = undefined;
    done?.();
  }
}
