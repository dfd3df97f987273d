// Keeps the Redis copy of connected sockets' sessions current, so a server that dies without a word
// leaves its clients' sessions behind for another server to restore: written when a socket connects
// or changes rooms (coalesced: one write per socket per event-loop turn), refreshed once per
// maxDisconnectionDuration (which also picks up changes of socket.data), overwritten with the
// disconnected state on a recoverable disconnection, deleted on any other.
import { encodeFrame, type OrderedSender } from "volley";
import type { SessionStore, StoredSession } from "./session-store.js";

/** The session of a connected socket as it is now; undefined when it has none. */
export type SessionSource = (id: string) => { pid: string; session: StoredSession } | undefined;

export class SessionSnapshots {
  private readonly store: SessionStore;
  private readonly sender: OrderedSender;
  /** maxDisconnectionDuration: TTL once disconnected; live copies get twice that, refreshed after it. */
  private readonly ttl: number;
  private readonly now: () => number;
  private readonly source: SessionSource;
  private readonly report: (err: unknown) => void;
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private readonly lastWrite = new Map<string, number>();
  private readonly persisted = new Set<string>();

  constructor(
    store: SessionStore,
    sender: OrderedSender,
    ttl: number,
    now: () => number,
    source: SessionSource,
    report: (err: unknown) => void,
  ) {
    this.store = store;
    this.sender = sender;
    this.ttl = ttl;
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
  persist(pid: string, session: StoredSession): Promise<void> {
    this.dirty.delete(session.sid);
    this.lastWrite.delete(session.sid);
    this.persisted.add(session.sid);
    const frame = encodeFrame(session);
    return this.sender
      .send(undefined, () => this.store.write(pid, false, frame, this.ttl))
      .then(() => undefined);
  }

  /** The socket left; unless its session was just persisted, it must not be restored. */
  forget(id: string, pid: string | undefined): void {
    this.dirty.delete(id);
    this.lastWrite.delete(id);
    if (this.persisted.delete(id) || !pid) return;
    this.sender.send(undefined, () => this.store.drop(pid)).catch(this.report);
  }

  /** Rewrites live copies written more than maxDisconnectionDuration ago (their TTL is twice that). */
  refreshStale(): void {
    const stale = this.now() - this.ttl;
    for (const [id, at] of this.lastWrite) if (at < stale) this.touch(id);
  }

  private flush(): void {
    this.scheduled = false;
    const now = this.now();
    for (const id of this.dirty) {
      let frame: Buffer;
      let pid: string;
      try {
        const current = this.source(id);
        if (!current) continue;
        pid = current.pid;
        frame = encodeFrame(current.session);
      } catch (err) {
        this.report(err);
        continue;
      }
      this.lastWrite.set(id, now);
      this.sender.send(undefined, () => this.store.write(pid, true, frame, 2 * this.ttl)).catch(this.report);
    }
    this.dirty.clear();
  }
}
