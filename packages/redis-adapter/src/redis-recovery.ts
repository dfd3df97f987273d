// Where the Redis adapter keeps what connection-state recovery needs (the cluster layer's
// LoggedRecovery decides the rest): logged broadcasts in a stream per namespace, appended and
// published in one script (offsets are stream ids), and sessions in the session store. A restore
// takes the session first, then reads the stream on the publishing connection once the session's
// rooms are subscribed — a read that may outrun the live feed on the subscriber, and may hold
// entries whose live copies never reach this node (published on a room channel before it was
// subscribed here). So the read's script publishes a marker on this node's response channel right
// after reading: once it arrives, the live feed has delivered every broadcast published before the
// read (`LogRead.passed`).
import type {
  BroadcastOptions,
  LogRead,
  OrderedSender,
  RecoveryBackend,
  Room,
  SessionRecord,
  SnapshotSink,
  TakenSession,
} from "volley";
import type { Channels } from "./channels.js";
import { RedisAdapterError } from "./errors.js";
import {
  compareStreamIds,
  isStreamId,
  READ_MARKER,
  RecoveryStream,
  type StreamLimits,
} from "./recovery-stream.js";
import type { RedisClient } from "./redis-client.js";
import { redisSnapshotSink } from "./session-snapshots.js";
import { isPrivateSessionId, SessionStore } from "./session-store.js";
import { type Liveness, takeSession } from "./session-takeover.js";

/** What the Redis recovery needs of its adapter. */
export interface RedisRecoveryTarget {
  readonly pub: RedisClient;
  readonly channels: Channels;
  readonly sharded: boolean;
  /** The adapter's uid: owner of the sessions it writes. */
  readonly uid: string;
  /** The adapter's ordered sender. */
  readonly sender: OrderedSender;
  /** Resolves once the subscription to `channel` is confirmed (undefined when it is). */
  pending(channel: string): Promise<void> | undefined;
  /** How long to wait for the node of a session still marked live. */
  readonly liveness: Liveness;
  report(err: unknown): void;
}

/** The Redis {@link RecoveryBackend}: offsets are stream ids. */
export class RedisRecovery implements RecoveryBackend {
  readonly initialOffset = "0-0";
  readonly sessions: SnapshotSink<SessionRecord>;
  private readonly target: RedisRecoveryTarget;
  private readonly stream: RecoveryStream;
  private readonly store: SessionStore;
  /** Reads whose marker has not come back yet, by read number (increasing, in insertion order). */
  private readonly awaitingMarkers = new Map<number, () => void>();
  private reads = 0;

  /** @param ttl how long a disconnected session is kept (maxDisconnectionDuration), ms. */
  constructor(target: RedisRecoveryTarget, limits: StreamLimits, ttl: number) {
    this.target = target;
    this.stream = new RecoveryStream(target.pub, target.channels, limits, target.sharded);
    this.store = new SessionStore(target.pub, target.channels, target.uid);
    this.sessions = redisSnapshotSink(this.store, target.sender, ttl, target.report);
  }

  /** Loads the scripts; resolves with the stream's newest id (the log's head). */
  async load(): Promise<string> {
    await Promise.all([this.stream.load(), this.store.load()]);
    return this.stream.lastId();
  }

  /** Orders two stream ids. */
  compareOffsets(a: string, b: string): number {
    return compareStreamIds(a, b);
  }

  /**
   * Sharded: the script publishes in the stream's slot, so logged broadcasts go on the namespace's
   * channel (receivers filter by room) — one shard keeps them in stream order for every node.
   */
  append(frame: Buffer, opts: BroadcastOptions): Promise<unknown> {
    const { channels, sharded } = this.target;
    const channel =
      opts.rooms.size === 1 && !sharded
        ? channels.room(opts.rooms.values().next().value as Room)
        : channels.all;
    // Our own copy comes back on `channel`: its subscription must be confirmed before publishing.
    return this.target.sender.send(this.target.pending(channel), () => this.stream.append(channel, frame));
  }

  /** A session still live on a node is taken once that node is known to be gone (session-takeover.ts). */
  async take(pid: string, offset: string | undefined): Promise<TakenSession | null> {
    // Anything else from a client is refused before Redis.
    if (!isPrivateSessionId(pid) || (offset !== undefined && !isStreamId(offset))) return null;
    const frame = await takeSession(this.store, pid, this.target.liveness);
    return frame ? { frame } : null;
  }

  /**
   * The stream's entries after `from`; null when any of them was evicted, or `from` was never
   * issued. `passed` resolves when the read's marker arrives (see {@link markerHeard}).
   */
  async readAfter(from: string): Promise<LogRead | null> {
    const n = ++this.reads;
    // Registered before asking: the marker may arrive before the read's own reply.
    const passed = new Promise<void>((resolve) => this.awaitingMarkers.set(n, resolve));
    const marker = Buffer.from(`\u0003${n}`, "latin1");
    let entries: Array<[string, Buffer]> | null;
    try {
      entries = await this.stream.after(from, this.target.channels.response(this.target.uid), marker);
    } catch (err) {
      this.awaitingMarkers.delete(n);
      throw err;
    }
    if (!entries) {
      this.awaitingMarkers.delete(n);
      return null;
    }
    return { entries: entries.map(([offset, frame]) => ({ offset, frame })), passed };
  }

  /**
   * A message of this node's response channel starting with {@link READ_MARKER}: the marker of read
   * `n` came back. It ends the waits of that read and of every earlier one (published before it, so
   * passed too — even one whose marker was lost with a dropped connection, which then waits no longer
   * than the next read).
   */
  markerHeard(raw: Buffer): void {
    const n = Number(raw.toString("latin1", 1));
    if (!Number.isSafeInteger(n)) {
      this.target.report(new RedisAdapterError("MALFORMED_MESSAGE", "malformed read marker"));
      return;
    }
    for (const [read, resolve] of this.awaitingMarkers) {
      if (read > n) break;
      this.awaitingMarkers.delete(read);
      resolve();
    }
  }
}

/** Whether a message of a response channel is a read's marker (cluster frames start with 1). */
export function isReadMarker(raw: Buffer): boolean {
  return raw[0] === READ_MARKER;
}
