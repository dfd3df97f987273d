// Keeps a shared copy of connected sockets' sessions current, for cluster adapters with connection-state
// recovery, so a server that dies without a word leaves its clients' sessions behind for another server
// to restore: written when a socket connects or changes rooms (coalesced: one write per socket per
// event-loop turn), again once per `refreshAfter` (which also picks up changes of socket.data), replaced
// by the disconnected state on a recoverable disconnection, dropped on any other. Where the copies live
// (Redis, the node:cluster primary, ...) is the backend's `SnapshotSink`.

/** Where a backend keeps the copies. Each method reports its own failures; none throws. */
export interface SnapshotSink<S> {
  /** The live copy of a connected socket's session. */
  writeLive(pid: string, session: S): void;
  /** The state a recoverable disconnection left, kept for maxDisconnectionDuration; settles once stored. */
  writeSaved(pid: string, session: S): Promise<void> | void;
  /** A session that must not be restored. */
  drop(pid: string): void;
}

/** The session of a connected socket as it is now, and its private id; undefined when it has none. */
export type SessionSource<S> = (id: string) => { pid: string; session: S } | undefined;

export class SessionSnapshots<S extends { sid: string }> {
  private readonly sink: SnapshotSink<S>;
  private readonly refreshAfter: number;
  private readonly now: () => number;
  private readonly source: SessionSource<S>;
  private readonly report: (err: unknown) => void;
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private readonly lastWrite = new Map<string, number>();
  private readonly persisted = new Set<string>();

  /**
   * @param refreshAfter live copies older than this are written again by `refreshStale` (the backend's
   *   copies must outlive it: maxDisconnectionDuration, with the live copies kept for twice that).
   * @param report where a failure of `source` goes.
   */
  constructor(
    sink: SnapshotSink<S>,
    refreshAfter: number,
    now: () => number,
    source: SessionSource<S>,
    report: (err: unknown) => void,
  ) {
    this.sink = sink;
    this.refreshAfter = refreshAfter;
    this.now = now;
    this.source = source;
    this.report = report;
  }

  /** The socket's session changed (connected, joined, left): write it soon. */
  touch(id: string): void {
    this.dirty.add(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** A recoverable disconnection: the session as the socket left, kept for maxDisconnectionDuration. */
  persist(pid: string, session: S): Promise<void> | void {
    this.dirty.delete(session.sid);
    this.lastWrite.delete(session.sid);
    this.persisted.add(session.sid);
    return this.sink.writeSaved(pid, session);
  }

  /** The socket left; unless its session was just persisted, it must not be restored. */
  forget(id: string, pid: string | undefined): void {
    this.dirty.delete(id);
    this.lastWrite.delete(id);
    if (this.persisted.delete(id) || !pid) return;
    this.sink.drop(pid);
  }

  /** Writes again the live copies written more than `refreshAfter` ago. */
  refreshStale(): void {
    const stale = this.now() - this.refreshAfter;
    for (const [id, at] of this.lastWrite) if (at < stale) this.touch(id);
  }

  private flush(): void {
    this.scheduled = false;
    const now = this.now();
    for (const id of this.dirty) {
      let current: ReturnType<SessionSource<S>>;
      try {
        current = this.source(id);
      } catch (err) {
        this.report(err);
        continue;
      }
      if (!current) continue;
      this.lastWrite.set(id, now);
      this.sink.writeLive(current.pid, current.session);
    }
    this.dirty.clear();
  }
}
