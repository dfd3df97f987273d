// Keeps the primary's copy of this worker's sessions current, so a worker that dies without a word
// leaves its clients' sessions behind for another worker to restore: sent when a socket connects or
// changes rooms (coalesced: one message per socket per event-loop turn), again once per
// maxDisconnectionDuration (picking up changes of socket.data), replaced by the disconnected state
// on a recoverable disconnection, dropped on any other.
import { encodeFrame } from "volley";
import { toIpcBytes } from "./ipc-messages.js";
import type { WorkerChannel } from "./worker-channel.js";

/** A session as it is kept: enough to restore the socket anywhere. */
export interface StoredSession {
  sid: string;
  rooms: Array<string | number>;
  data: unknown;
  /** The last logged broadcast this worker had seen when the socket connected. */
  offset: string | undefined;
}

/** The session of a connected socket as it is now; undefined when it has none. */
export type SessionSource = (id: string) => { pid: string; session: StoredSession } | undefined;

export interface SnapshotTarget {
  readonly channel: WorkerChannel;
  readonly key: string;
  readonly nsp: string;
  /** Sends after every message sent before (the adapter's ordered sender). */
  send(command: () => Promise<void>): void;
}

export class SessionSnapshots {
  private readonly target: SnapshotTarget;
  private readonly refreshAfter: number;
  private readonly now: () => number;
  private readonly source: SessionSource;
  private readonly report: (err: unknown) => void;
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private readonly lastWrite = new Map<string, number>();
  private readonly persisted = new Set<string>();

  constructor(
    target: SnapshotTarget,
    refreshAfter: number,
    now: () => number,
    source: SessionSource,
    report: (err: unknown) => void,
  ) {
    this.target = target;
    this.refreshAfter = refreshAfter;
    this.now = now;
    this.source = source;
    this.report = report;
  }

  /** The socket's session changed (connected, joined, left): send it soon. */
  touch(id: string): void {
    this.dirty.add(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** A recoverable disconnection: the session as the socket left, kept by the primary for maxDisconnectionDuration. */
  persist(pid: string, session: StoredSession): void {
    this.dirty.delete(session.sid);
    this.lastWrite.delete(session.sid);
    this.persisted.add(session.sid);
    this.write(pid, "saved", session);
  }

  /** The socket left; unless its session was just persisted, it must not be restored. */
  forget(id: string, pid: string | undefined): void {
    this.dirty.delete(id);
    this.lastWrite.delete(id);
    if (this.persisted.delete(id) || !pid) return;
    const { channel, key, nsp } = this.target;
    this.target.send(() => channel.send({ t: "volley:session", key, nsp, pid, state: "forget" }));
  }

  /** Sends again the live copies sent more than maxDisconnectionDuration ago. */
  refreshStale(): void {
    const stale = this.now() - this.refreshAfter;
    for (const [id, at] of this.lastWrite) if (at < stale) this.touch(id);
  }

  private flush(): void {
    this.scheduled = false;
    const now = this.now();
    for (const id of this.dirty) {
      const current = this.source(id);
      if (!current) continue;
      this.lastWrite.set(id, now);
      this.write(current.pid, "live", current.session);
    }
    this.dirty.clear();
  }

  private write(pid: string, state: "live" | "saved", session: StoredSession): void {
    let frame: Buffer;
    try {
      frame = encodeFrame(session);
    } catch (err) {
      this.report(err);
      return;
    }
    const { channel, key, nsp } = this.target;
    const bytes = toIpcBytes(frame, channel.advanced);
    const msg = { t: "volley:session" as const, key, nsp, pid, state, frame: bytes, offset: session.offset };
    if (msg.offset === undefined) delete msg.offset;
    this.target.send(() => channel.send(msg, frame.length));
  }
}
