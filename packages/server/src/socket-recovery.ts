// Connection state recovery, seen from one socket: what a restored socket starts from, what its client
// missed and gets replayed after CONNECT, and the state kept when it leaves for a recoverable reason.
import type { Adapter, Room, SocketId } from "./adapter.js";

/** State a restored socket starts from. */
export interface PreviousSession {
  sid: SocketId;
  pid: string;
  rooms: Room[];
  data: unknown;
  missedPackets: unknown[][];
  /** Last log position `missedPackets` covers. */
  logSeq?: number;
}

/** What recovery reads and writes through the namespace's adapter. */
export type RecoveryStore = Pick<Adapter, "log" | "missedSince" | "persistSession" | "socketRooms">;

/**
 * The event packets (`data` arrays) a restored client gets after its CONNECT answer: those found when
 * it asked to recover, then those logged since for `rooms` while the middlewares ran (the socket was in
 * no room yet, so no emit reached it).
 */
export function missedPackets(
  previous: PreviousSession,
  store: RecoveryStore,
  rooms: Set<Room>,
): unknown[][] | undefined {
  const missed = previous.missedPackets;
  const log = store.log;
  if (!log || previous.logSeq === undefined || log.nextSeq - 1 <= previous.logSeq) return missed;
  const extra = store.missedSince(previous.logSeq, rooms);
  return extra ? [...(missed ?? []), ...extra] : missed;
}

/** What a leaving socket keeps for its client's return. */
export interface LeavingSocket {
  readonly sid: SocketId;
  readonly pid: string;
  readonly data: unknown;
  /** Recovery log position when it connected. */
  readonly logSeq: number | undefined;
}

/**
 * Keeps a leaving socket's session (its rooms but its own, data, log position) in the adapter for
 * `maxDisconnectionDuration`; a failure to store it goes to `report`.
 */
export function persistLeavingSocket(
  store: RecoveryStore,
  socket: LeavingSocket,
  report: (err: unknown) => void,
): void {
  const rooms = [...(store.socketRooms(socket.sid) ?? [])].filter((room) => room !== socket.sid);
  const persisted = store.persistSession({
    sid: socket.sid,
    pid: socket.pid,
    rooms,
    data: socket.data,
    logSeq: socket.logSeq,
  });
  if (persisted instanceof Promise) persisted.catch(report);
}
