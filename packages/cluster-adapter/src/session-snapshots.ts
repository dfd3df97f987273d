// Where a worker keeps the copies of its sockets' sessions (the shared `SessionSnapshots` of the cluster
// layer decides when): with the primary, so a worker that dies without a word leaves its clients'
// sessions behind for another worker to restore. Messages go through the adapter's ordered sender.
import { encodeSessionRecord, type SessionRecord, type SnapshotSink } from "volley";
import { toIpcBytes } from "./ipc-messages.js";
import type { WorkerChannel } from "./worker-channel.js";

export interface SnapshotTarget {
  readonly channel: WorkerChannel;
  readonly key: string;
  readonly nsp: string;
  /** Sends after every message sent before (the adapter's ordered sender). */
  send(command: () => Promise<void>): void;
}

export function primarySnapshotSink(
  target: SnapshotTarget,
  report: (err: unknown) => void,
): SnapshotSink<SessionRecord> {
  const { channel, key, nsp } = target;
  const write = (pid: string, state: "live" | "saved", session: SessionRecord): void => {
    const frame = encodeSessionRecord(session, report);
    if (!frame) return;
    const bytes = toIpcBytes(frame, channel.advanced);
    const msg = { t: "volley:session" as const, key, nsp, pid, state, frame: bytes, offset: session.offset };
    if (msg.offset === undefined) delete msg.offset;
    target.send(() => channel.send(msg, frame.length));
  };
  return {
    writeLive: (pid, session) => write(pid, "live", session),
    writeSaved: (pid, session) => write(pid, "saved", session),
    drop(pid) {
      target.send(() => channel.send({ t: "volley:session", key, nsp, pid, state: "forget" }));
    },
  };
}
