// A second cluster backend, to prove the adapter boundary: a message bus in this process and a
// ClusterAdapter on it. Everything but the transport (requests, acks, liveness, departures, outage
// buffering) comes from volley's ClusterAdapter, exactly as for Redis. The bus is real — messages
// are copied and delivered asynchronously, in publication order, to the subscribers of a channel —
// and a node can be cut off at once (`sever`), which is what a SIGKILL looks like from the bus.
import {
  type AdapterConstructor,
  ClusterAdapter,
  type ClusterAdapterOptions,
  type ClusterChannel,
  type Namespace,
  type Room,
} from "volley";

type Handler = (frame: Buffer) => void;

/** The bus: channels with subscribers, one delivery queue so order is kept. */
export class InProcessBus {
  private readonly channels = new Map<string, Set<Handler>>();
  private readonly queue: Array<[string, Buffer]> = [];
  private scheduled = false;
  /** While true every publish fails, as with a transport that is down. */
  down = false;

  publish(channel: string, frame: Buffer): Promise<number> {
    if (this.down) return Promise.reject(new Error("bus is down"));
    this.queue.push([channel, Buffer.from(frame)]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    return Promise.resolve(this.channels.get(channel)?.size ?? 0);
  }

  subscribe(channel: string, handler: Handler): void {
    let set = this.channels.get(channel);
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
    }
    set.add(handler);
  }

  unsubscribe(channel: string, handler: Handler): void {
    const set = this.channels.get(channel);
    if (set?.delete(handler) && set.size === 0) this.channels.delete(channel);
  }

  /** Subscribers of a channel (what `PUBSUB NUMSUB` tells for Redis). */
  subscribers(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  private drain(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0);
    for (const [channel, frame] of batch) {
      const set = this.channels.get(channel);
      if (set) for (const handler of [...set]) handler(frame);
    }
  }
}

/** A ClusterAdapter on an {@link InProcessBus}: the whole backend. */
export class InProcessAdapter extends ClusterAdapter {
  private readonly bus: InProcessBus;
  private readonly prefix: string;
  private readonly roomHolds = new Map<string, number>();
  private severed = false;
  private partitioned = false;
  private readonly onBroadcast: Handler = (frame) => {
    if (!this.partitioned) this.receive(frame);
  };
  private readonly onMessage: Handler = (frame) => {
    if (!this.partitioned) this.receive(frame);
  };

  constructor(nsp: Namespace, bus: InProcessBus, key: string, opts: ClusterAdapterOptions) {
    super(nsp, opts);
    this.bus = bus;
    this.prefix = `${key}#${this.host.name}#`;
  }

  private name(channel: ClusterChannel): string {
    if (channel.kind === "request") return `${this.prefix}request`;
    if (channel.kind === "response") return `${this.prefix}response#${channel.uid}`;
    return channel.room === undefined ? `${this.prefix}all` : this.roomChannel(channel.room);
  }

  private roomChannel(room: Room): string {
    return `${this.prefix}room#${room}`;
  }

  protected override publish(channel: ClusterChannel, frame: Buffer): Promise<unknown> {
    if (this.severed || this.partitioned) return Promise.resolve(0);
    return this.bus.publish(this.name(channel), frame);
  }

  protected override async subscribeNode(): Promise<void> {
    this.bus.subscribe(this.name({ kind: "broadcast", room: undefined }), this.onBroadcast);
    this.bus.subscribe(this.name({ kind: "request" }), this.onMessage);
    this.bus.subscribe(this.name({ kind: "response", uid: this.uid }), this.onMessage);
  }

  protected override async unsubscribeNode(): Promise<void> {
    this.bus.unsubscribe(this.name({ kind: "broadcast", room: undefined }), this.onBroadcast);
    this.bus.unsubscribe(this.name({ kind: "request" }), this.onMessage);
    this.bus.unsubscribe(this.name({ kind: "response", uid: this.uid }), this.onMessage);
    for (const channel of this.roomHolds.keys()) this.bus.unsubscribe(channel, this.onBroadcast);
    this.roomHolds.clear();
  }

  protected override watchRoom(room: Room): void {
    const channel = this.roomChannel(room);
    const holds = this.roomHolds.get(channel) ?? 0;
    this.roomHolds.set(channel, holds + 1);
    if (holds === 0 && !this.severed) this.bus.subscribe(channel, this.onBroadcast);
  }

  protected override unwatchRoom(room: Room): void {
    const channel = this.roomChannel(room);
    const holds = this.roomHolds.get(channel);
    if (holds === undefined) return;
    if (holds > 1) {
      this.roomHolds.set(channel, holds - 1);
      return;
    }
    this.roomHolds.delete(channel);
    this.bus.unsubscribe(channel, this.onBroadcast);
  }

  protected override probeNodes(uids: string[]): Promise<string[]> {
    return Promise.resolve(
      uids.filter((uid) => this.bus.subscribers(this.name({ kind: "response", uid })) === 0),
    );
  }

  protected override transportAvailable(): boolean {
    return !this.bus.down;
  }

  /** Back from `bus.down`: what the Redis transport does when its connection returns. */
  busIsBack(): void {
    this.transportUp();
  }

  /**
   * A partition: nothing in or out, but the bus still counts its subscriptions (as Redis holds a
   * connection it has not yet seen die), so only heartbeats and deadlines can tell.
   */
  partition(): void {
    this.partitioned = true;
  }

  /** Cut off at once, without a word: no more messages in or out (a SIGKILL, seen from the bus). */
  sever(): void {
    this.severed = true;
    void this.unsubscribeNode();
  }
}

/** The `adapter` server option for a bus. */
export function createInProcessAdapter(
  bus: InProcessBus,
  key: string,
  opts: ClusterAdapterOptions = {},
): AdapterConstructor {
  return class extends InProcessAdapter {
    constructor(nsp: Namespace) {
      super(nsp, bus, key, opts);
    }
  };
}
