// A worker's end of the IPC channel to the primary, shared by every adapter of the process (one per
// namespace per server): sends in call order with the bytes not yet written counted (backpressure),
// requests with replies and a deadline, and each message from the primary handed to the adapter it
// is for. Adapters of one (key, namespace) in the same process also hear each other directly: the
// primary sends a worker nothing that came from that worker.
import { ClusterAdapterError } from "volley";
import {
  type IpcBytes,
  isVolleyMessage,
  sizeOf,
  type ToPrimary,
  type ToWorker,
  toWorkerMessage,
} from "./ipc-messages.js";

/** What the channel needs of an IPC endpoint: `process` in a worker (a ChildProcess works too). */
export interface IpcPort {
  send?(message: unknown, callback?: (error: Error | null) => void): boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: "disconnect", listener: () => void): unknown;
  readonly connected?: boolean;
}

/** An adapter as the channel sees it. */
export interface ChannelMember {
  readonly key: string;
  readonly nspName: string;
  readonly uid: string;
  /** A frame for this adapter (`offset`: a logged broadcast). */
  onFrame(frame: IpcBytes, offset: string | undefined): void;
  /** Adapters of a worker that exited. */
  onGone(uids: string[]): void;
  /** The backlog drained below the low-water mark (or the channel came back). */
  onDrain(): void;
  /** A message from the primary could not be understood. */
  onMalformed(err: ClusterAdapterError): void;
}

type Reply = Extract<ToWorker, { rid: number }>;
type Request = Extract<ToPrimary, { rid: number }>;
// Omit distributes over the union only through a conditional type.
type WithoutRid<T> = T extends unknown ? Omit<T, "rid"> : never;

export class WorkerChannel {
  /** "advanced" serialization carries bytes as they are; "json" as base64 text. */
  readonly advanced: boolean;
  private readonly port: IpcPort;
  private readonly members = new Map<string, Set<ChannelMember>>();
  private readonly byUid = new Map<string, ChannelMember>();
  private readonly pending = new Map<number, (reply: Reply | undefined) => void>();
  private nextRid = 1;
  private backlog = 0;
  private congested = false;
  private readonly maxBacklogBytes: number;

  constructor(port: IpcPort, advanced: boolean, maxBacklogBytes: number) {
    this.port = port;
    this.advanced = advanced;
    this.maxBacklogBytes = maxBacklogBytes;
    port.on("message", (msg) => {
      if (isVolleyMessage(msg)) this.onMessage(msg);
    });
    port.on("disconnect", () => {
      for (const resolve of this.pending.values()) resolve(undefined);
      this.pending.clear();
    });
  }

  get connected(): boolean {
    return this.port.connected !== false && typeof this.port.send === "function";
  }

  /** Whether broadcasts may go out now: connected, and the backlog under a quarter of its limit. */
  get available(): boolean {
    return this.connected && !this.congested;
  }

  /** Bytes handed to the channel and not yet written. */
  get backlogBytes(): number {
    return this.backlog;
  }

  attach(member: ChannelMember): void {
    const group = `${member.key}\u0000${member.nspName}`;
    let set = this.members.get(group);
    if (!set) {
      set = new Set();
      this.members.set(group, set);
    }
    set.add(member);
    this.byUid.set(member.uid, member);
  }

  detach(member: ChannelMember): void {
    const group = `${member.key}\u0000${member.nspName}`;
    const set = this.members.get(group);
    if (set?.delete(member) && set.size === 0) this.members.delete(group);
    if (this.byUid.get(member.uid) === member) this.byUid.delete(member.uid);
  }

  /**
   * Sends a frame to the other adapters of `from`'s (key, namespace) — or to the adapter `to` only:
   * those of this process at once (asynchronously), the others through the primary.
   */
  publish(from: ChannelMember, frame: IpcBytes, to?: string): Promise<void> {
    if (to !== undefined) {
      const local = this.byUid.get(to);
      if (local) {
        queueMicrotask(() => local.onFrame(frame, undefined));
        return Promise.resolve();
      }
    } else {
      const siblings = this.members.get(`${from.key}\u0000${from.nspName}`);
      if (siblings && siblings.size > 1) {
        for (const member of siblings) {
          if (member !== from) queueMicrotask(() => member.onFrame(frame, undefined));
        }
      }
    }
    const msg: ToPrimary = { t: "volley:pub", key: from.key, nsp: from.nspName, from: from.uid, frame };
    if (to !== undefined) msg.to = to;
    return this.send(msg, sizeOf(frame));
  }

  /** Sends a message to the primary. Rejects when the channel is closed or its backlog is full. */
  send(msg: ToPrimary, bytes = 64): Promise<void> {
    const port = this.port;
    if (!this.connected || !port.send) {
      return Promise.reject(
        new ClusterAdapterError("TRANSPORT_ERROR", "the IPC channel to the primary is closed"),
      );
    }
    // One message always goes when nothing is pending, however large: the bound is on what waits.
    if (this.backlog > 0 && this.backlog + bytes > this.maxBacklogBytes) {
      return Promise.reject(
        new ClusterAdapterError(
          "TRANSPORT_ERROR",
          `the IPC channel to the primary is backed up (${this.backlog} bytes not yet written, maxBacklogBytes ${this.maxBacklogBytes}): message dropped`,
        ),
      );
    }
    this.backlog += bytes;
    if (this.backlog > this.maxBacklogBytes / 4) this.congested = true;
    return new Promise((resolve, reject) => {
      try {
        port.send!(msg, (err) => {
          this.backlog -= bytes;
          if (this.congested && this.backlog <= this.maxBacklogBytes / 8) {
            this.congested = false;
            for (const member of this.byUid.values()) member.onDrain();
          }
          if (err)
            reject(
              new ClusterAdapterError("TRANSPORT_ERROR", `IPC send failed: ${err.message}`, { cause: err }),
            );
          else resolve();
        });
      } catch (err) {
        this.backlog -= bytes;
        reject(
          new ClusterAdapterError("TRANSPORT_ERROR", `IPC send failed: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
    });
  }

  /** Sends a request and resolves with the primary's reply, or undefined after `timeout` ms or on disconnect. */
  request(msg: WithoutRid<Request>, timeout: number): Promise<Reply | undefined> {
    const rid = this.nextRid++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), timeout);
      timer.unref();
      const finish = (reply: Reply | undefined) => {
        clearTimeout(timer);
        this.pending.delete(rid);
        resolve(reply);
      };
      this.pending.set(rid, finish);
      this.send({ ...msg, rid } as Request).catch(() => finish(undefined));
    });
  }

  private onMessage(raw: { t: string }): void {
    const msg = toWorkerMessage(raw);
    if (!msg) {
      const err = new ClusterAdapterError(
        "MALFORMED_MESSAGE",
        `malformed IPC message from the primary (${raw.t})`,
      );
      for (const member of this.byUid.values()) member.onMalformed(err);
      return;
    }
    switch (msg.t) {
      case "volley:msg": {
        if (msg.to !== undefined) {
          this.byUid.get(msg.to)?.onFrame(msg.frame, msg.offset);
          return;
        }
        const members = this.members.get(`${msg.key}\u0000${msg.nsp}`);
        if (members) for (const member of members) member.onFrame(msg.frame, msg.offset);
        return;
      }
      case "volley:gone":
        for (const member of this.byUid.values()) member.onGone(msg.uids);
        return;
      case "volley:welcome":
      case "volley:reply":
        this.pending.get(msg.rid)?.(msg);
        return;
    }
  }
}

const channels = new WeakMap<IpcPort, WorkerChannel>();

/** The channel of `port` (one per port, shared by every adapter on it). */
export function channelFor(port: IpcPort, advanced: boolean, maxBacklogBytes: number): WorkerChannel {
  let channel = channels.get(port);
  if (!channel) {
    channel = new WorkerChannel(port, advanced, maxBacklogBytes);
    channels.set(port, channel);
  }
  return channel;
}
