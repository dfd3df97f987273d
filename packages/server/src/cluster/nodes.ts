// Which other nodes (adapters of the same namespace on other servers) are alive, from their
// heartbeats. A cluster request expects one response per live node, and stops waiting for a node
// the moment it is declared gone (heartbeat timeout or ADAPTER_CLOSE).

export class ClusterNodes {
  private readonly lastSeen = new Map<string, number>();
  private readonly timeout: number;
  private readonly now: () => number;

  constructor(timeout: number, now: () => number) {
    this.timeout = timeout;
    this.now = now;
  }

  /** Records a sign of life; true when the node is new. */
  seen(uid: string): boolean {
    const isNew = !this.lastSeen.has(uid);
    // Delete first so the map stays ordered by last sign of life (oldest first) for `prune`.
    this.lastSeen.delete(uid);
    this.lastSeen.set(uid, this.now());
    return isNew;
  }

  /** Forgets a node; true when it was known. */
  remove(uid: string): boolean {
    return this.lastSeen.delete(uid);
  }

  /** Forgets nodes silent for longer than the timeout; returns them. */
  prune(): string[] {
    const limit = this.now() - this.timeout;
    const gone: string[] = [];
    for (const [uid, at] of this.lastSeen) {
      if (at >= limit) break;
      gone.push(uid);
    }
    for (const uid of gone) this.lastSeen.delete(uid);
    return gone;
  }

  has(uid: string): boolean {
    return this.lastSeen.has(uid);
  }

  /** Uids of the live nodes (other than this one). */
  uids(): Set<string> {
    return new Set(this.lastSeen.keys());
  }

  get size(): number {
    return this.lastSeen.size;
  }
}
