// The primary's half: relays each worker's frames to the other workers of its (key, namespace) — or
// to the one adapter a response is for —, tells every worker at once when one exits (its adapters
// are gone), numbers logged broadcasts and keeps sessions for recovery, and holds the directory of
// session forwarding. No session routing: connections land on any worker. Each worker's unwritten
// backlog is bounded; beyond it messages to that worker are dropped and reported.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  isVolleyMessage,
  type RecoveryLimits,
  sizeOf,
  type ToPrimary,
  type ToWorker,
  toPrimaryMessage,
} from "./ipc-messages.js";
import { RecoveryLog, SessionTable } from "./recovery-store.js";

/** A worker as the relay sees it: a `cluster.Worker`, or any IPC endpoint with the same shape. */
export interface WorkerPort {
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: "exit", listener: () => void): unknown;
  on(event: "disconnect", listener: () => void): unknown;
}

/** Options of the relay ({@link setupPrimary}). */
export interface PrimaryOptions {
  /** Most bytes handed to one worker's IPC channel and not yet written; beyond it messages to it are dropped. Default 64 MiB. */
  maxBacklogBytes?: number;
  /** Most saved (disconnected) sessions kept per namespace; the oldest goes first. Default 100000. */
  maxSessions?: number;
  /**
   * How long a restore waits for a session still live on another worker (its client came back before
   * that worker saw it leave) to be saved or its worker to die, ms. Default 5000.
   */
  sessionWaitTimeout?: number;
  /** Clock of the recovery log and sessions (tests). Default `Date.now`. */
  now?: () => number;
}

/** Counters of a {@link PrimaryRelay}, since it started. */
export interface RelayStats {
  /** Workers attached now. */
  workers: number;
  /** Messages from workers relayed or answered. */
  relayed: number;
  /** Messages to workers dropped because their backlog was full. */
  dropped: number;
  /** Malformed messages from workers, skipped. */
  malformed: number;
}

/** Events of a {@link PrimaryRelay}. */
export interface PrimaryRelayEvents {
  /** Messages were dropped for a congested worker, or a worker sent a malformed message. */
  error: [err: Error];
}

interface Endpoint {
  readonly id: number;
  readonly port: WorkerPort;
  readonly uids: Set<string>;
  readonly groups: Set<string>;
  readonly nodeIds: Set<string>;
  backlog: number;
  congested: boolean;
  gone: boolean;
}

interface Group {
  readonly endpoints: Set<Endpoint>;
  log?: RecoveryLog;
  sessions?: SessionTable;
}

interface WaitingRestore {
  retry(): void;
}

const DEFAULT_LIMITS: RecoveryLimits = { maxPackets: 10_000, maxBytes: 16 * 1024 * 1024, maxAge: 120_000 };

export class PrimaryRelay extends EventEmitter<PrimaryRelayEvents> {
  private readonly epoch = randomBytes(4).toString("hex");
  private readonly endpoints = new Map<number, Endpoint>();
  private readonly uidOwner = new Map<string, Endpoint>();
  private readonly groups = new Map<string, Group>();
  private readonly directory = new Map<string, { address: string; owner: Endpoint }>();
  private readonly waiting = new Map<string, Set<WaitingRestore>>();
  private readonly maxBacklogBytes: number;
  private readonly maxSessions: number;
  private readonly sessionWaitTimeout: number;
  private readonly now: () => number;
  private nextId = 1;
  private relayed = 0;
  private dropped = 0;
  private malformed = 0;

  /** @throws TypeError naming the option when a value is out of range. */
  constructor(opts: PrimaryOptions = {}) {
    super();
    this.maxBacklogBytes = integer("maxBacklogBytes", opts.maxBacklogBytes, 64 * 1024 * 1024);
    this.maxSessions = integer("maxSessions", opts.maxSessions, 100_000);
    this.sessionWaitTimeout = integer("sessionWaitTimeout", opts.sessionWaitTimeout, 5000);
    if (opts.now !== undefined && typeof opts.now !== "function") {
      throw new TypeError("option now must be a function returning milliseconds");
    }
    this.now = opts.now ?? Date.now;
  }

  stats(): RelayStats {
    return {
      workers: this.endpoints.size,
      relayed: this.relayed,
      dropped: this.dropped,
      malformed: this.malformed,
    };
  }

  /** Relays for `port` from now on, until it exits or disconnects. Returns its id in the relay. */
  attach(port: WorkerPort): number {
    const endpoint: Endpoint = {
      id: this.nextId++,
      port,
      uids: new Set(),
      groups: new Set(),
      nodeIds: new Set(),
      backlog: 0,
      congested: false,
      gone: false,
    };
    this.endpoints.set(endpoint.id, endpoint);
    port.on("message", (msg) => {
      if (!endpoint.gone && isVolleyMessage(msg)) this.onMessage(endpoint, msg);
    });
    const detach = () => this.detach(endpoint);
    port.on("disconnect", detach);
    port.on("exit", detach);
    return endpoint.id;
  }

  /** Stops relaying (every worker is told the adapters of the others are gone). */
  close(): void {
    for (const endpoint of [...this.endpoints.values()]) this.detach(endpoint);
  }

  // ── a worker leaves ──────────────────────────────────────────────────────────────────────────

  private detach(endpoint: Endpoint): void {
    if (endpoint.gone) return;
    endpoint.gone = true;
    this.endpoints.delete(endpoint.id);
    for (const uid of endpoint.uids) if (this.uidOwner.get(uid) === endpoint) this.uidOwner.delete(uid);
    for (const nodeId of endpoint.nodeIds) {
      if (this.directory.get(nodeId)?.owner === endpoint) this.directory.delete(nodeId);
    }
    for (const name of endpoint.groups) {
      const group = this.groups.get(name);
      if (!group) continue;
      group.endpoints.delete(endpoint);
      group.sessions?.ownerGone(endpoint.id);
    }
    if (endpoint.uids.size > 0) {
      const gone: ToWorker = { t: "volley:gone", uids: [...endpoint.uids] };
      for (const other of this.endpoints.values()) this.sendTo(other, gone, 64);
    }
    // Restores waiting for this worker's sessions can go on.
    for (const set of [...this.waiting.values()]) for (const w of [...set]) w.retry();
  }

  // ── messages ─────────────────────────────────────────────────────────────────────────────────

  private onMessage(from: Endpoint, raw: { t: string }): void {
    const msg = toPrimaryMessage(raw);
    if (!msg) {
      this.malformed++;
      this.report(new Error(`malformed IPC message (${raw.t}) from worker ${from.id}: skipped`));
      return;
    }
    this.relayed++;
    switch (msg.t) {
      case "volley:hello":
        this.hello(from, msg);
        return;
      case "volley:pub":
        this.pub(from, msg);
        return;
      case "volley:log":
        this.log(from, msg);
        return;
      case "volley:session":
        this.session(from, msg);
        return;
      case "volley:restore":
        this.restore(from, msg);
        return;
      case "volley:dir":
        this.dir(from, msg);
        return;
    }
  }

  private group(key: string, nsp: string): Group {
    const name = `${key}\u0000${nsp}`;
    let group = this.groups.get(name);
    if (!group) {
      group = { endpoints: new Set() };
      this.groups.set(name, group);
    }
    return group;
  }

  private recovery(group: Group, limits: RecoveryLimits = DEFAULT_LIMITS): Required<Group> {
    group.log ??= new RecoveryLog(this.epoch, limits, this.now);
    group.sessions ??= new SessionTable(limits.maxAge, this.maxSessions, this.now);
    return group as Required<Group>;
  }

  private hello(from: Endpoint, msg: Extract<ToPrimary, { t: "volley:hello" }>): void {
    const group = this.group(msg.key, msg.nsp);
    group.endpoints.add(from);
    from.groups.add(`${msg.key}\u0000${msg.nsp}`);
    this.own(from, msg.uid);
    if (msg.recovery) this.recovery(group, msg.recovery);
    this.sendTo(
      from,
      { t: "volley:welcome", rid: msg.rid, head: group.log?.head() ?? `${this.epoch}-0` },
      64,
    );
  }

  private own(from: Endpoint, uid: string): void {
    if (this.uidOwner.get(uid) === from) return;
    this.uidOwner.set(uid, from);
    from.uids.add(uid);
  }

  private pub(from: Endpoint, msg: Extract<ToPrimary, { t: "volley:pub" }>): void {
    this.own(from, msg.from);
    const bytes = sizeOf(msg.frame);
    if (msg.to !== undefined) {
      const target = this.uidOwner.get(msg.to);
      if (target && target !== from) {
        this.sendTo(
          target,
          { t: "volley:msg", key: msg.key, nsp: msg.nsp, to: msg.to, frame: msg.frame },
          bytes,
        );
      }
      return;
    }
    const group = this.groups.get(`${msg.key}\u0000${msg.nsp}`);
    if (!group) return;
    const out: ToWorker = { t: "volley:msg", key: msg.key, nsp: msg.nsp, frame: msg.frame };
    for (const endpoint of group.endpoints) if (endpoint !== from) this.sendTo(endpoint, out, bytes);
  }

  private log(from: Endpoint, msg: Extract<ToPrimary, { t: "volley:log" }>): void {
    this.own(from, msg.from);
    const group = this.recovery(this.group(msg.key, msg.nsp));
    const bytes = sizeOf(msg.frame);
    const offset = group.log.append(msg.rooms, msg.except, msg.frame, bytes);
    const out: ToWorker = { t: "volley:msg", key: msg.key, nsp: msg.nsp, frame: msg.frame, offset };
    // The sender too: it delivers its logged broadcasts in log order, as everyone does.
    for (const endpoint of group.endpoints) this.sendTo(endpoint, out, bytes);
  }

  private session(from: Endpoint, msg: Extract<ToPrimary, { t: "volley:session" }>): void {
    const sessions = this.recovery(this.group(msg.key, msg.nsp)).sessions;
    if (msg.state === "forget") sessions.forget(msg.pid);
    else if (msg.state === "live") sessions.setLive(msg.pid, msg.frame!, msg.offset, from.id);
    else sessions.setSaved(msg.pid, msg.frame!, msg.offset);
    if (msg.state === "saved") for (const w of [...(this.waiting.get(msg.pid) ?? [])]) w.retry();
  }

  /**
   * Takes a session and the log after the client's offset (or after where its socket connected).
   * A session still live on a worker waits (bounded) for it to be saved or for that worker to die.
   */
  private restore(from: Endpoint, msg: Extract<ToPrimary, { t: "volley:restore" }>): void {
    const group = this.group(msg.key, msg.nsp);
    const answer = (restored: ToWorker & { t: "volley:reply" }) => this.sendTo(from, restored, 64);
    const attempt = (mayWait: boolean): boolean => {
      if (!group.log || !group.sessions) {
        answer({ t: "volley:reply", rid: msg.rid, restored: null });
        return true;
      }
      const taken = group.sessions.take(msg.pid);
      if (taken.kind === "live" && mayWait && taken.owner !== from.id) return false;
      if (taken.kind !== "session") {
        answer({ t: "volley:reply", rid: msg.rid, restored: null });
        return true;
      }
      const since = msg.offset ?? taken.offset;
      const entries = since === undefined ? undefined : group.log.after(since);
      answer({
        t: "volley:reply",
        rid: msg.rid,
        restored: entries ? { session: taken.frame, entries, head: group.log.head() } : null,
      });
      return true;
    };
    if (attempt(true)) return;
    let set = this.waiting.get(msg.pid);
    if (!set) {
      set = new Set();
      this.waiting.set(msg.pid, set);
    }
    const waiter: WaitingRestore = {
      retry: () => {
        if (from.gone) return finish();
        if (attempt(true)) finish();
      },
    };
    const finish = () => {
      clearTimeout(timer);
      set.delete(waiter);
      if (set.size === 0 && this.waiting.get(msg.pid) === set) this.waiting.delete(msg.pid);
    };
    const timer = setTimeout(() => {
      finish();
      if (!from.gone) attempt(false);
    }, this.sessionWaitTimeout);
    timer.unref();
    set.add(waiter);
  }

  private dir(from: Endpoint, msg: Extract<ToPrimary, { t: "volley:dir" }>): void {
    let address: string | null | undefined;
    if (msg.op === "register") {
      this.directory.set(msg.nodeId, { address: msg.address!, owner: from });
      from.nodeIds.add(msg.nodeId);
    } else if (msg.op === "unregister") {
      if (this.directory.get(msg.nodeId)?.owner === from) this.directory.delete(msg.nodeId);
      from.nodeIds.delete(msg.nodeId);
    } else {
      address = this.directory.get(msg.nodeId)?.address ?? null;
    }
    this.sendTo(from, { t: "volley:reply", rid: msg.rid, ...(address !== undefined && { address }) }, 64);
  }

  /** "error" listeners get it; without any, a process warning (an unhandled "error" would end the primary). */
  private report(err: Error): void {
    if (this.listenerCount("error") > 0) this.emit("error", err);
    else process.emitWarning(err.message, { code: "VOLLEY_CLUSTER" });
  }

  /** Sends to a worker unless its backlog is full (then the message is dropped and reported once per episode). */
  private sendTo(endpoint: Endpoint, msg: ToWorker, bytes: number): void {
    if (endpoint.gone) return;
    if (endpoint.backlog > 0 && endpoint.backlog + bytes > this.maxBacklogBytes) {
      this.dropped++;
      if (!endpoint.congested) {
        endpoint.congested = true;
        this.report(
          new Error(
            `worker ${endpoint.id} is not reading its IPC channel (${endpoint.backlog} bytes not yet written, maxBacklogBytes ${this.maxBacklogBytes}): messages to it are dropped until it catches up`,
          ),
        );
      }
      return;
    }
    endpoint.backlog += bytes;
    try {
      endpoint.port.send(msg, () => {
        endpoint.backlog -= bytes;
        if (endpoint.congested && endpoint.backlog <= this.maxBacklogBytes / 2) endpoint.congested = false;
      });
    } catch {
      // The channel closed under us: "disconnect"/"exit" follow and detach it.
      endpoint.backlog -= bytes;
    }
  }
}

function integer(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`option ${name} must be a positive integer (got ${String(value)})`);
  }
  return value;
}
