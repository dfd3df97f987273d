// Where a worker's adapter keeps what connection-state recovery needs (the cluster layer's
// LoggedRecovery decides the rest): with the primary, which numbers logged broadcasts in one log per
// namespace (offsets `<epoch>-<seq>`) and keeps the sessions (recovery-store.ts). A restore is one
// request: the primary answers with the session and the log after the offset, on the same ordered
// channel as the live broadcasts — whatever comes after its answer is after the log's head.
import {
  type BroadcastOptions,
  type OrderedSender,
  type RecoveryBackend,
  type SessionRecord,
  type SnapshotSink,
  type TakenSession,
  toWire,
} from "volley";
import { fromIpcBytes, toIpcBytes } from "./ipc-messages.js";
import { primarySnapshotSink } from "./session-snapshots.js";
import type { WorkerChannel } from "./worker-channel.js";

/** What the primary's recovery needs of its adapter. */
export interface PrimaryRecoveryTarget {
  readonly channel: WorkerChannel;
  readonly key: string;
  readonly nsp: string;
  /** The adapter's uid. */
  readonly uid: string;
  /** The adapter's ordered sender. */
  readonly sender: OrderedSender;
  /** How long a restore waits for the primary's answer, ms. */
  readonly requestsTimeout: number;
  report(err: unknown): void;
}

/** The node:cluster {@link RecoveryBackend}: the log and the sessions live in the primary. */
export class PrimaryRecovery implements RecoveryBackend {
  /** The log's head comes with the primary's welcome. */
  readonly initialOffset = undefined;
  readonly sessions: SnapshotSink<SessionRecord>;
  private readonly target: PrimaryRecoveryTarget;

  constructor(target: PrimaryRecoveryTarget) {
    this.target = target;
    const { channel, key, nsp, sender, report } = target;
    this.sessions = primarySnapshotSink(
      {
        channel,
        key,
        nsp,
        send: (command) => {
          sender.send(undefined, command).catch(report);
        },
      },
      report,
    );
  }

  /** One primary, one epoch per worker's life: offsets are ordered by their sequence number. */
  compareOffsets(a: string, b: string): number {
    return seqOf(a) - seqOf(b);
  }

  /** The primary gives the broadcast the next offset of the namespace's log and sends it to every worker. */
  append(frame: Buffer, opts: BroadcastOptions): Promise<unknown> {
    const { channel, key, nsp, uid, sender } = this.target;
    const wire = toWire(opts);
    const msg = {
      t: "volley:log" as const,
      key,
      nsp,
      from: uid,
      rooms: wire.rooms,
      except: wire.except,
      frame: toIpcBytes(frame, channel.advanced),
    };
    return sender.send(undefined, () => channel.send(msg, frame.length));
  }

  /** Null too when the primary does not answer within `requestsTimeout`. */
  async take(pid: string, offset: string | undefined, listen: () => void): Promise<TakenSession | null> {
    const { channel, key, nsp, requestsTimeout } = this.target;
    // Broadcasts the primary sends after its answer may be handled before the answer's continuation.
    listen();
    const reply = await channel.request(
      { t: "volley:restore", key, nsp, pid, ...(offset !== undefined && { offset }) },
      requestsTimeout,
    );
    if (reply?.t !== "volley:reply" || !reply.restored) return null;
    const { session, entries, head } = reply.restored;
    return {
      frame: fromIpcBytes(session),
      log: {
        head,
        entries: entries.map((e) => ({
          offset: e.offset,
          frame: fromIpcBytes(e.frame),
          rooms: e.rooms,
          except: e.except,
        })),
      },
    };
  }
}

/** The sequence number of an offset (`<epoch>-<n>`); NaN when it is not one. */
function seqOf(offset: string): number {
  return Number(offset.slice(offset.lastIndexOf("-") + 1));
}
