// Taking a stored session for a reconnecting client. A session still marked live belongs to a
// socket connected as far as we know — here, or on a node we believe alive: either that node has
// not yet noticed the disconnection (it will persist the session shortly), or it died and the
// heartbeat timeout has not run out yet. We look again now and then until one of the two happens,
// bounded by the heartbeat timeout. A live session of our own is never taken.
import type { SessionStore } from "./session-store.js";

export interface Liveness {
  /** This node's uid. */
  self: string;
  isAlive(uid: string): boolean;
  /** Resolves when `uid` is declared gone, or after `ms`. */
  waitForGone(uid: string, ms: number): Promise<void>;
  isClosed(): boolean;
  heartbeatInterval: number;
  heartbeatTimeout: number;
}

/** The session's frame, taken (deleted) from Redis so that one node only restores it; null when gone. */
export async function takeSession(
  store: SessionStore,
  pid: string,
  liveness: Liveness,
): Promise<Buffer | null> {
  let found = await store.take(pid);
  if (found.kind === "live") {
    const owner = found.owner;
    const alive = () => owner === liveness.self || liveness.isAlive(owner);
    const step = Math.min(100, liveness.heartbeatInterval);
    const steps = Math.ceil((liveness.heartbeatTimeout + liveness.heartbeatInterval) / step);
    for (let i = 0; i < steps && alive() && !liveness.isClosed(); i++) {
      await liveness.waitForGone(owner, step);
      if (alive()) {
        found = await store.take(pid);
        if (found.kind !== "live") break;
      }
    }
    // Naming the owner lets a live session of a dead node be taken; "" still refuses a live one.
    if (found.kind === "live") found = await store.take(pid, alive() ? "" : owner);
  }
  return found.kind === "taken" ? found.frame : null;
}
