// Waiters for a node's departure. Restoring a session still marked live on another node waits for
// that node to be declared gone (heartbeat timeout or ADAPTER_CLOSE) instead of polling blindly.

export class NodeDepartures {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves when `uid` is declared gone (see {@link gone}), or after `ms`. */
  wait(uid: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.waiters.get(uid);
      if (!waiters) {
        waiters = new Set();
        this.waiters.set(uid, waiters);
      }
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0 && this.waiters.get(uid) === waiters) this.waiters.delete(uid);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      waiters.add(wake);
    });
  }

  /** Wakes everyone waiting for `uid`. */
  gone(uid: string): void {
    const waiters = this.waiters.get(uid);
    if (!waiters) return;
    this.waiters.delete(uid);
    for (const wake of waiters) wake();
  }

  /** Wakes every waiter (the adapter is closing). */
  wakeAll(): void {
    for (const waiters of this.waiters.values()) for (const wake of waiters) wake();
    this.waiters.clear();
  }
}
