// A small real log bus for the cluster layer's logged recovery, in this process: it numbers logged
// broadcasts and hands them to every node in one order (one delivery queue), keeps session copies,
// and answers restores in either of the two ways a backend can — the session with the log in one
// answer that comes in order with the live feed ("answer", as the node:cluster primary does), or the
// session first and a separate read of the log that may outrun the live feed ("read", as Redis
// does; its reads say when the live feed has passed them). Live copies can be held back, or never
// reach a node (as a Redis room channel it did not hear yet), and answers gated, to show what
// happens in between.
import {
  type BroadcastOptions,
  type ClusterAdapterOptions,
  type ClusterChannel,
  decodeFrame,
  encodeFrame,
  LoggedClusterAdapter,
  type LogRead,
  type Namespace,
  type RecoveryBackend,
  type SessionRecord,
  type SnapshotSink,
  type TakenSession,
  toSessionRecord,
  toWire,
  type WireRoom,
} from "volley";

export type Mode = "answer" | "read";

/** The bus: one delivery queue (order kept), the log of logged broadcasts, the session copies. */
export class LogBus {
  readonly nodes = new Map<string, BusAdapter>();
  readonly sessions = new Map<string, { frame: Buffer; live: boolean }>();
  private readonly log: Array<{ offset: string; frame: Buffer; rooms: WireRoom[]; except: WireRoom[] }> = [];
  private seq = 0;
  private queue: Array<() => void> = [];
  private scheduled = false;
  /** While true, the live copies of logged broadcasts wait for {@link releaseLive}. */
  holdLive = false;
  private held: Array<() => void> = [];
  /** Nodes that never get the live copies of logged broadcasts sent from now on. */
  readonly deaf = new Set<BusAdapter>();
  /** While set, restores are answered (or the log read) only once it resolves: a request in flight. */
  gate: Promise<void> | undefined;

  constructor(readonly mode: Mode) {}

  head(): string {
    return String(this.seq);
  }

  send(to: Iterable<BusAdapter | undefined>, frame: Buffer, offset?: string): void {
    const copy = Buffer.from(frame);
    const live = offset !== undefined && this.holdLive;
    for (const node of to) {
      if (!node || (offset !== undefined && this.deaf.has(node))) continue;
      (live ? this.held : this.queue).push(() => node.fromBus(copy, offset));
    }
    this.schedule();
  }

  append(frame: Buffer, opts: BroadcastOptions): void {
    const offset = String(++this.seq);
    const { rooms, except } = toWire(opts);
    this.log.push({ offset, frame: Buffer.from(frame), rooms, except });
    this.send(this.nodes.values(), frame, offset);
  }

  after(offset: string): LogRead | null {
    const n = Number(offset);
    if (!Number.isSafeInteger(n) || n < 0 || n > this.seq) return null;
    return { entries: this.log.filter((e) => Number(e.offset) > n) };
  }

  /** Resolves once every live copy sent so far was delivered (a marker behind them in the queue). */
  passed(): Promise<void> {
    return new Promise((resolve) => {
      (this.holdLive ? this.held : this.queue).push(resolve);
      this.schedule();
    });
  }

  releaseLive(): void {
    this.holdLive = false;
    this.queue.push(...this.held.splice(0));
    this.schedule();
  }

  /** Resolves once every queued delivery ran (bounded). */
  async idle(): Promise<void> {
    for (let i = 0; i < 1000 && (this.queue.length > 0 || this.scheduled); i++) await turn();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const deliver of this.queue.splice(0)) deliver();
    });
  }
}

/** The bus as a recovery backend. */
class BusRecovery implements RecoveryBackend {
  readonly initialOffset = undefined;
  readonly sessions: SnapshotSink<SessionRecord>;
  readAfter?: (from: string) => Promise<LogRead | null>;

  constructor(private readonly bus: LogBus) {
    this.sessions = {
      writeLive: (pid, s) => bus.sessions.set(pid, { frame: encodeFrame(s), live: true }),
      writeSaved: (pid, s) => void bus.sessions.set(pid, { frame: encodeFrame(s), live: false }),
      drop: (pid) => bus.sessions.delete(pid),
    };
    if (bus.mode === "read") {
      this.readAfter = async (from) => {
        await bus.gate;
        const read = bus.after(from);
        return read && { ...read, passed: bus.passed() };
      };
    }
  }

  compareOffsets(a: string, b: string): number {
    return Number(a) - Number(b);
  }

  append(frame: Buffer, opts: BroadcastOptions): Promise<unknown> {
    this.bus.append(frame, opts);
    return Promise.resolve();
  }

  async take(pid: string, offset: string | undefined, listen: () => void): Promise<TakenSession | null> {
    const stored = this.bus.sessions.get(pid);
    if (this.bus.mode === "read") {
      if (!stored) return null;
      this.bus.sessions.delete(pid);
      return { frame: stored.frame };
    }
    listen();
    let answer: TakenSession | null = null;
    if (stored) {
      this.bus.sessions.delete(pid);
      const from = offset ?? toSessionRecord(decodeFrame(stored.frame)).offset ?? "0";
      const log = this.bus.after(from);
      if (log) answer = { frame: stored.frame, log: { ...log, head: this.bus.head() } };
    }
    await this.bus.gate;
    return answer;
  }
}

export class BusAdapter extends LoggedClusterAdapter {
  constructor(
    nsp: Namespace,
    private readonly bus: LogBus,
    opts: ClusterAdapterOptions,
  ) {
    super(nsp, opts);
    this.useLoggedRecovery(new BusRecovery(bus));
  }

  fromBus(frame: Buffer, offset: string | undefined): void {
    if (!this.closed) this.receive(frame, offset);
  }

  protected override publish(channel: ClusterChannel, frame: Buffer): Promise<unknown> {
    const bus = this.bus;
    const to =
      channel.kind === "response"
        ? [bus.nodes.get(channel.uid)]
        : [...bus.nodes.values()].filter((n) => n !== this);
    bus.send(to, frame);
    return Promise.resolve();
  }

  protected override async subscribeNode(): Promise<void> {
    this.bus.nodes.set(this.uid, this);
  }

  protected override async unsubscribeNode(): Promise<void> {
    this.bus.nodes.delete(this.uid);
  }

  protected override async startTransport(): Promise<void> {
    this.logJoinedAt(this.bus.head());
  }
}

export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
