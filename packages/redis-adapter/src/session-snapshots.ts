// Where the Redis adapter keeps the copies of its sockets' sessions (the shared `SessionSnapshots` of the
// cluster layer decides when): in the session store, through the adapter's ordered sender. Live copies
// live twice maxDisconnectionDuration (refreshed after it), the disconnected state maxDisconnectionDuration.
import {
  encodeFrame,
  encodeSessionRecord,
  type OrderedSender,
  type SessionRecord,
  type SnapshotSink,
} from "volley";
import type { SessionStore } from "./session-store.js";

export function redisSnapshotSink(
  store: SessionStore,
  sender: OrderedSender,
  ttl: number,
  report: (err: unknown) => void,
): SnapshotSink<SessionRecord> {
  return {
    writeLive(pid, session) {
      const frame = encodeSessionRecord(session, report);
      if (!frame) return;
      sender.send(undefined, () => store.write(pid, true, frame, 2 * ttl)).catch(report);
    },
    writeSaved(pid, session) {
      const frame = encodeFrame(session);
      return sender.send(undefined, () => store.write(pid, false, frame, ttl)).then(() => undefined);
    },
    drop(pid) {
      sender.send(undefined, () => store.drop(pid)).catch(report);
    },
  };
}
