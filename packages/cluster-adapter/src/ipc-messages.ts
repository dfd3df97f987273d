// The messages between the workers and the primary on the node:cluster IPC channel. Every one has a
// `t` starting with "volley:", so the application's own IPC messages pass untouched. Cluster
// frames (the base adapter's codec) travel as bytes with "advanced" serialization, as base64 text
// with "json"; the primary never decodes them, it only routes.
import type { WireRoom } from "volley";

/** Bytes on the channel: a Uint8Array ("advanced" serialization) or base64 text ("json"). */
export type IpcBytes = Uint8Array | string;

/** Recovery limits a worker's server runs with; the primary keeps its log within them. */
export interface RecoveryLimits {
  maxPackets: number;
  maxBytes: number;
  maxAge: number;
}

/** Worker → primary. */
export type ToPrimary =
  /** An adapter joins (`key`, `nsp`): answered by "volley:welcome" with the head of the log. */
  | { t: "volley:hello"; rid: number; key: string; nsp: string; uid: string; recovery?: RecoveryLimits }
  /** A frame for every other adapter of (`key`, `nsp`), or for the one adapter `to`. */
  | { t: "volley:pub"; key: string; nsp: string; from: string; to?: string; frame: IpcBytes }
  /** A broadcast to log for recovery: the primary gives it an offset and sends it to every adapter, the sender too. */
  | {
      t: "volley:log";
      key: string;
      nsp: string;
      from: string;
      rooms: WireRoom[];
      except: WireRoom[];
      frame: IpcBytes;
    }
  /** A session: `live` while its socket is connected here, `saved` once it disconnected, `forget` when gone for good. */
  | {
      t: "volley:session";
      key: string;
      nsp: string;
      pid: string;
      state: "live" | "saved" | "forget";
      frame?: IpcBytes;
      /** Where a client without an offset resumes: the log's head when its socket connected. */
      offset?: string;
    }
  /** Takes a session for a reconnecting client: answered by "volley:reply". */
  | { t: "volley:restore"; rid: number; key: string; nsp: string; pid: string; offset?: string }
  /** The node directory of session forwarding: answered by "volley:reply". */
  | {
      t: "volley:dir";
      rid: number;
      op: "register" | "unregister" | "lookup";
      nodeId: string;
      address?: string;
    };

/** A logged broadcast handed back to a restoring worker. */
export interface LoggedEntry {
  offset: string;
  rooms: WireRoom[];
  except: WireRoom[];
  frame: IpcBytes;
}

/** What a restore gets: the session and every logged broadcast after the offset, or nothing. */
export interface RestoreReply {
  session: IpcBytes;
  entries: LoggedEntry[];
  /** The log's head when the primary answered: live broadcasts after it are not in `entries`. */
  head: string;
}

/** Primary → worker. */
export type ToWorker =
  | { t: "volley:welcome"; rid: number; head: string }
  | { t: "volley:msg"; key: string; nsp: string; to?: string; frame: IpcBytes; offset?: string }
  /** Adapters of a worker that exited: no longer counted nor waited for. */
  | { t: "volley:gone"; uids: string[] }
  | { t: "volley:reply"; rid: number; restored?: RestoreReply | null; address?: string | null };

const isString = (v: unknown): v is string => typeof v === "string";
const isBytes = (v: unknown): v is IpcBytes => typeof v === "string" || v instanceof Uint8Array;
const isRooms = (v: unknown): v is WireRoom[] =>
  Array.isArray(v) && v.every((r) => typeof r === "string" || typeof r === "number");
const isId = (v: unknown): v is number => Number.isSafeInteger(v);

/** Whether `msg` is one of ours at all (anything else is the application's). */
export function isVolleyMessage(msg: unknown): msg is { t: string } {
  return (
    typeof msg === "object" &&
    msg !== null &&
    typeof (msg as { t?: unknown }).t === "string" &&
    (msg as { t: string }).t.startsWith("volley:")
  );
}

/** Checks a message from a worker; undefined when it is malformed (the primary counts and skips it). */
export function toPrimaryMessage(msg: { t: string }): ToPrimary | undefined {
  const m = msg as Record<string, unknown>;
  switch (m.t) {
    case "volley:hello":
      return isId(m.rid) && isString(m.key) && isString(m.nsp) && isString(m.uid) && validLimits(m.recovery)
        ? (m as ToPrimary)
        : undefined;
    case "volley:pub":
      return isString(m.key) &&
        isString(m.nsp) &&
        isString(m.from) &&
        (m.to === undefined || isString(m.to)) &&
        isBytes(m.frame)
        ? (m as ToPrimary)
        : undefined;
    case "volley:log":
      return isString(m.key) &&
        isString(m.nsp) &&
        isString(m.from) &&
        isRooms(m.rooms) &&
        isRooms(m.except) &&
        isBytes(m.frame)
        ? (m as ToPrimary)
        : undefined;
    case "volley:session":
      return isString(m.key) &&
        isString(m.nsp) &&
        isString(m.pid) &&
        (m.state === "live" || m.state === "saved" || m.state === "forget") &&
        (m.state === "forget" || isBytes(m.frame)) &&
        (m.offset === undefined || isString(m.offset))
        ? (m as ToPrimary)
        : undefined;
    case "volley:restore":
      return isId(m.rid) &&
        isString(m.key) &&
        isString(m.nsp) &&
        isString(m.pid) &&
        (m.offset === undefined || isString(m.offset))
        ? (m as ToPrimary)
        : undefined;
    case "volley:dir":
      return isId(m.rid) &&
        (m.op === "register" || m.op === "unregister" || m.op === "lookup") &&
        isString(m.nodeId) &&
        (m.op !== "register" || isString(m.address))
        ? (m as ToPrimary)
        : undefined;
    default:
      return undefined;
  }
}

function validLimits(v: unknown): boolean {
  if (v === undefined) return true;
  const l = v as Record<string, unknown>;
  return (
    typeof v === "object" &&
    v !== null &&
    [l.maxPackets, l.maxBytes, l.maxAge].every((n) => typeof n === "number" && n > 0)
  );
}

/** Checks a message from the primary; undefined when malformed. */
export function toWorkerMessage(msg: { t: string }): ToWorker | undefined {
  const m = msg as Record<string, unknown>;
  switch (m.t) {
    case "volley:welcome":
      return isId(m.rid) && isString(m.head) ? (m as ToWorker) : undefined;
    case "volley:msg":
      return isString(m.key) &&
        isString(m.nsp) &&
        (m.to === undefined || isString(m.to)) &&
        isBytes(m.frame) &&
        (m.offset === undefined || isString(m.offset))
        ? (m as ToWorker)
        : undefined;
    case "volley:gone":
      return Array.isArray(m.uids) && m.uids.every(isString) ? (m as ToWorker) : undefined;
    case "volley:reply":
      return isId(m.rid) ? (m as ToWorker) : undefined;
    default:
      return undefined;
  }
}

/** A frame as it goes on the channel. */
export function toIpcBytes(frame: Buffer, advanced: boolean): IpcBytes {
  return advanced ? frame : frame.toString("base64");
}

/** A frame as it came off the channel. */
export function fromIpcBytes(bytes: IpcBytes): Buffer {
  return typeof bytes === "string"
    ? Buffer.from(bytes, "base64")
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Approximate size on the channel, for backlog accounting. */
export function sizeOf(bytes: IpcBytes): number {
  return typeof bytes === "string" ? bytes.length : bytes.byteLength;
}
