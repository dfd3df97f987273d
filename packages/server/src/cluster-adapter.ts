// The base of every cluster adapter: what does not depend on how messages travel between servers.
// Requests and their responses, acknowledgements from remote sockets, node liveness (heartbeats, and
// what the transport knows of its peers), departures, and broadcasts kept while the transport is
// down. A backend (Redis, an in-process bus, …) extends it with the transport alone: `publish`, the
// node's subscriptions, and optionally interest routing per room and a liveness probe. The modules
// under cluster/ hold each concern; this class wires them to the server through `this.host`.
import { randomBytes } from "node:crypto";
import type { Packet } from "@volley/protocol";
import { Adapter, type BroadcastOptions, type Room, type SocketDetails, type SocketId } from "./adapter.js";
import { type ClusterAdapterError, toClusterAdapterError } from "./cluster/errors.js";
import { decodeFrame, encodeFrame } from "./cluster/message-codec.js";
import { type Message, MessageType, validateMessage, type WireOptions } from "./cluster/messages.js";
import { Liveness } from "./cluster/liveness.js";
import {
  type ClusterAdapterOptions,
  type ResolvedClusterOptions,
  resolveClusterOptions,
} from "./cluster/options.js";
import { OrderedSender } from "./cluster/ordered-sender.js";
import { OutageBuffer } from "./cluster/outage-buffer.js";
import { collectRemoteAcks } from "./cluster/remote-acks.js";
import { answerRequest, type LocalNode, type Responder } from "./cluster/request-handlers.js";
import { type Ask, askServerSideEmit, askSocketIds, askSockets } from "./cluster/queries.js";
import { ClusterRequests } from "./cluster/requests.js";
import { fromWire, toWire } from "./cluster/wire.js";
import type { Namespace } from "./namespace.js";
import type { Socket } from "./socket.js";

/** Where a message goes: broadcasts (to a room's channel, or to everyone), requests, responses. */
export type ClusterChannel =
  | { readonly kind: "broadcast"; readonly room: Room | undefined }
  | { readonly kind: "request" }
  | { readonly kind: "response"; readonly uid: string };

const REQUEST: ClusterChannel = { kind: "request" };
const ALL: ClusterChannel = { kind: "broadcast", room: undefined };

/**
 * A cluster adapter without its transport. Subclasses implement {@link publish},
 * {@link subscribeNode} and {@link unsubscribeNode}, and hand every message they receive to
 * {@link receive}. While {@link transportAvailable} is false, broadcasts reach local sockets at once
 * and are kept (bounded) for the others; the backend calls {@link transportUp} when it is back.
 */
export abstract class ClusterAdapter extends Adapter {
  /** Unique id of this adapter (one per namespace per server) in the cluster. */
  readonly uid: string = randomBytes(8).toString("hex");
  protected readonly clusterOptions: ResolvedClusterOptions;
  /** Messages leave in call order; held back until this node has joined. */
  protected readonly sender = new OrderedSender();
  /** Resolves once this node is subscribed and announced (it never rejects). */
  protected ready: Promise<void> = Promise.resolve();
  protected closed = false;
  private readonly nodes: Liveness;
  private readonly requests: ClusterRequests;
  private readonly outage: OutageBuffer;
  private readonly local: LocalNode;
  private readonly responder: Responder;
  private announced = false;
  private markJoined!: () => void;
  private readonly joinedPromise = new Promise<void>((resolve) => (this.markJoined = resolve));

  constructor(nsp: Namespace, opts: ClusterAdapterOptions = {}) {
    super(nsp);
    this.clusterOptions = resolveClusterOptions(opts);
    const o = this.clusterOptions;
    this.nodes = new Liveness(o, {
      heartbeat: () => {
        if (this.announced && this.transportAvailable()) this.send(REQUEST, MessageType.HEARTBEAT, {});
        this.onHeartbeat();
      },
      probe: (uids) => this.probeNodes(uids),
      available: () => this.transportAvailable(),
      gone: (uid) => this.requests.nodeGone(uid),
      report: (err) => this.report(err),
    });
    this.requests = new ClusterRequests(this.uid);
    this.outage = new OutageBuffer(o.outageBufferMaxPackets, o.outageBufferMaxBytes);
    this.local = {
      host: this.host,
      apply: (o2, fn) => this.apply(o2, fn),
      rooms: (id) => this.sids.get(id),
      addSockets: (o2, rooms) => super.addSockets(o2, rooms),
      delSockets: (o2, rooms) => super.delSockets(o2, rooms),
      disconnectSockets: (o2, close) => super.disconnectSockets(o2, close),
      deliverWithAck: (packet, o2, ack) => this.deliverWithAck(packet, o2, ack),
    };
    this.responder = {
      respond: (to, type, body) => this.send({ kind: "response", uid: to }, type, body),
      heartbeat: () => {
        if (this.announced && !this.closed) this.send(REQUEST, MessageType.HEARTBEAT, {});
      },
    };
    this.on("create-room", (room: Room) => this.watchRoom(room));
    this.on("delete-room", (room: Room) => this.unwatchRoom(room));
  }

  // ── the transport: what a backend implements ──────────────────────────────────────────────────

  /** Sends a frame on a channel. Rejects when the transport failed to take it. */
  protected abstract publish(channel: ClusterChannel, frame: Buffer): Promise<unknown>;

  /**
   * Subscribes this node to broadcasts for everyone, requests, and the responses addressed to
   * {@link uid}; resolves once the transport has confirmed every subscription (retrying as needed).
   */
  protected abstract subscribeNode(): Promise<void>;

  /** Ends the subscriptions of {@link subscribeNode} (and any per room). */
  protected abstract unsubscribeNode(): Promise<void>;

  /** Work after subscribing and before announcing (loading scripts, …). Default: nothing. */
  protected startTransport(): Promise<void> {
    return Promise.resolve();
  }

  /** Interest routing: this node now has members in `room` (a backend may subscribe to it). */
  protected watchRoom(_room: Room): void {}

  /** This node no longer has members in `room`. */
  protected unwatchRoom(_room: Room): void {}

  /** Resolves once a subscription to `room` is confirmed; undefined when nothing is pending. */
  protected roomConfirmation(_room: Room): Promise<void> | undefined {
    return undefined;
  }

  /**
   * Which of `uids` the transport knows to be gone (e.g. no longer subscribed), checked every
   * `livenessInterval`; undefined when it cannot tell (heartbeats alone then decide).
   */
  protected probeNodes(_uids: string[]): Promise<string[]> | undefined {
    return undefined;
  }

  /** Whether the transport can carry messages now; while false, broadcasts are kept for later. */
  protected transportAvailable(): boolean {
    return true;
  }

  /** Turns any failure into the error this adapter reports (a backend names its own code/class). */
  protected toError(err: unknown): ClusterAdapterError {
    return toClusterAdapterError(err);
  }

  /** Hook: runs every `heartbeatInterval` (periodic upkeep of a backend). */
  protected onHeartbeat(): void {}

  /** Hook: a logged broadcast (carrying its recovery `offset`) arrived; its data ends with the offset. */
  protected onLoggedBroadcast(_offset: string, _opts: WireOptions, _data: unknown[]): void {}

  // ── called by the backend ────────────────────────────────────────────────────────────────────

  /** A message from another node (or this node's own echo). Never throws: bad input is reported. */
  protected receive(frame: Buffer, offset?: string): void {
    try {
      this.handle(validateMessage(decodeFrame(frame)), offset);
    } catch (err) {
      this.report(err);
    }
  }

  /**
   * The transport is back (connected and every subscription confirmed again): kept broadcasts go
   * out, then this node announces itself again so that nodes that dropped it count it once more.
   */
  protected transportUp(): void {
    if (this.closed || !this.transportAvailable()) return;
    const { entries, lost } = this.outage.take();
    for (const entry of entries) {
      this.sender
        .send(undefined, () => this.publish({ kind: "broadcast", room: entry.room }, entry.frame))
        .catch((err) => this.report(err));
    }
    const lostError = OutageBuffer.lostError(lost, "outage buffer full");
    if (lostError) this.report(lostError);
    if (this.announced) this.send(REQUEST, MessageType.INITIAL_HEARTBEAT, {});
    else this.ready = this.join();
  }

  // ── life cycle ───────────────────────────────────────────────────────────────────────────────

  /** Subscribes, then announces this node; sends wait for it, in order. Never rejects. */
  override init(): Promise<void> {
    this.ready = this.join();
    this.sender.hold(this.ready);
    this.nodes.start();
    return this.ready;
  }

  /** Whether this node is subscribed and has announced itself (counted by the others). */
  get joined(): boolean {
    return this.announced;
  }

  /**
   * Resolves once this node is subscribed to everything it must hear and has announced itself —
   * however many attempts that takes. A server should not report itself ready before.
   */
  whenJoined(): Promise<void> {
    return this.joinedPromise;
  }

  private async join(): Promise<void> {
    try {
      await this.subscribeNode();
      await this.startTransport();
      // Straight out, not through the sender: the sender waits for this very start-up.
      await this.publish(REQUEST, encodeFrame(this.message(MessageType.INITIAL_HEARTBEAT, {})));
      this.announced = !this.closed;
      if (this.announced) this.markJoined();
    } catch (err) {
      // Tried again when the transport reports it is back (transportUp).
      this.report(err);
    }
  }

  /** Announces the departure, stops waiting for anyone, unsubscribes. Bounded by `requestsTimeout`. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.nodes.stop();
    this.requests.closeAll();
    const { entries, lost } = this.outage.take();
    const lostError = OutageBuffer.lostError(entries.length + lost, "the adapter closed first");
    if (lostError) this.report(lostError);
    let farewell: Promise<unknown>;
    try {
      farewell = Promise.allSettled([
        this.publish(REQUEST, encodeFrame(this.message(MessageType.ADAPTER_CLOSE, {}))),
        this.unsubscribeNode(),
      ]);
    } catch (err) {
      farewell = Promise.reject(err);
    }
    // With the transport unreachable its calls may wait for long: `io.close()` must not hang on them.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      farewell.catch(() => {}),
      new Promise((resolve) => (timer = setTimeout(resolve, this.clusterOptions.requestsTimeout))),
    ]);
    clearTimeout(timer);
  }

  /** Servers of the cluster serving this namespace: this one and every live node that joined. */
  override serverCount(): Promise<number> {
    return Promise.resolve(1 + this.nodes.size);
  }

  /** Uids of the other nodes this one knows alive. */
  liveNodes(): string[] {
    return [...this.nodes.uids()];
  }

  /** Whether the node `uid` is known alive. */
  isNodeAlive(uid: string): boolean {
    return this.nodes.has(uid);
  }

  /** Resolves when node `uid` is declared gone, or after `ms`. */
  waitForNodeGone(uid: string, ms: number): Promise<void> {
    return this.nodes.waitForGone(uid, ms);
  }

  // ── rooms ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Joins locally at once; the returned promise resolves when the transport has confirmed the
   * subscriptions of rooms new to this node (`await socket.join(room)` = joined cluster-wide).
   * It never rejects: a failed subscription is reported as an "error".
   */
  override addAll(id: SocketId, rooms: Set<Room>): Promise<void> | undefined {
    super.addAll(id, rooms);
    const waits: Array<Promise<void>> = [];
    for (const room of rooms) {
      const confirming = this.roomConfirmation(room);
      if (confirming) waits.push(confirming);
    }
    return waits.length > 0 ? Promise.all(waits).then(noop, noop) : undefined;
  }

  // ── broadcasts ───────────────────────────────────────────────────────────────────────────────

  /** Local sockets at once, other nodes through the transport (serialised once). */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    packet.nsp = this.host.name;
    this.deliverSafely(packet, opts);
    if (opts.flags?.local || this.closed) return;
    // A socket of this node is on no other node: nothing to publish.
    if (opts.rooms.size === 1 && this.host.sockets.has(firstRoom(opts.rooms) as SocketId)) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(
        this.message(MessageType.BROADCAST, { packet: wirePacket(packet), opts: toWire(opts) }),
      );
    } catch (err) {
      this.report(err);
      return;
    }
    this.publishBroadcast(opts.rooms.size === 1 ? firstRoom(opts.rooms) : undefined, frame);
  }

  /** Publishes a broadcast frame, or keeps it while the transport is down. */
  protected publishBroadcast(room: Room | undefined, frame: Buffer): void {
    if (!this.transportAvailable()) {
      this.keepForLater(room, frame);
      return;
    }
    const channel: ClusterChannel = room === undefined ? ALL : { kind: "broadcast", room };
    this.sender.send(undefined, () => this.publish(channel, frame)).catch((err) => this.report(err));
  }

  /** Keeps a broadcast made during an outage; the first one that does not fit is reported at once. */
  protected keepForLater(room: Room | undefined, frame: Buffer): void {
    const overflow = this.outage.add(room, frame);
    if (overflow) this.report(overflow);
  }

  /** Delivers to local sockets; an encoding failure is reported, never thrown at the caller. */
  protected deliverSafely(packet: Packet, opts: BroadcastOptions): void {
    try {
      this.deliver(packet, opts);
    } catch (err) {
      this.report(err);
    }
  }

  /**
   * Asks every matching socket of the cluster for an acknowledgement. Each node reports how many
   * sockets it reached; a node that dies or stays silent until the deadline (`timeout` flag, else
   * `requestsTimeout`) counts as zero, so the caller never waits for the dead.
   */
  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    const flags = opts.flags;
    const waiting = flags?.local || this.closed ? new Set<string>() : this.nodes.uids();
    const requestId = this.requests.nextId();
    let frame: Buffer | undefined;
    if (waiting.size > 0) {
      try {
        frame = encodeFrame(
          this.message(MessageType.BROADCAST_WITH_ACK, {
            requestId,
            packet: wirePacket(packet),
            opts: toWire(opts),
          }),
        );
      } catch (err) {
        this.report(err);
      }
    }
    clientCountCallback(this.deliverWithAck(packet, opts, ack));
    if (!frame) {
      // The operator expects one count per server it knows of.
      for (let i = 0; i < this.nodes.size; i++) clientCountCallback(0);
      return;
    }
    const finish = collectRemoteAcks(
      this.requests,
      requestId,
      waiting,
      flags?.timeout ?? this.clusterOptions.requestsTimeout,
      clientCountCallback,
      ack,
    );
    this.sender
      .send(undefined, () => this.publish(REQUEST, frame))
      .catch((err) => {
        this.report(err);
        finish();
      });
  }

  // ── cluster requests ─────────────────────────────────────────────────────────────────────────

  /**
   * Ids of the matching sockets of the whole cluster. A node that does not answer in time is
   * reported (`REQUEST_TIMEOUT` naming it) and the ids from the others are returned.
   */
  override async sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = await super.sockets(rooms);
    const err = await askSocketIds(this.ask, rooms, ids);
    if (err) this.report(err);
    return ids;
  }

  /**
   * The matching sockets of the whole cluster. A node that does not answer in time is reported
   * (`REQUEST_TIMEOUT` naming it) and the sockets of the others are returned.
   */
  override async fetchSockets(opts: BroadcastOptions): Promise<Array<Socket | SocketDetails>> {
    const out: Array<Socket | SocketDetails> = await super.fetchSockets(opts);
    if (opts.flags?.local) return out;
    const err = await askSockets(this.ask, opts, out);
    if (err) this.report(err);
    return out;
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.addSockets(opts, rooms);
    if (!opts.flags?.local) this.sendRequest(MessageType.SOCKETS_JOIN, { opts: toWire(opts), rooms });
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.delSockets(opts, rooms);
    if (!opts.flags?.local) this.sendRequest(MessageType.SOCKETS_LEAVE, { opts: toWire(opts), rooms });
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    if (!opts.flags?.local) this.sendRequest(MessageType.DISCONNECT_SOCKETS, { opts: toWire(opts), close });
  }

  /**
   * Emits to the other servers. With an acknowledgement callback last: `(null, responses)` once
   * every live server answered, or `(error, responsesSoFar)` — `REQUEST_TIMEOUT` naming the
   * silent nodes in `missingNodes` — after `requestsTimeout`.
   */
  override serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (typeof last !== "function") {
      this.sendRequest(MessageType.SERVER_SIDE_EMIT, { data: packet });
      return;
    }
    askServerSideEmit(this.ask, packet.slice(0, -1), last as (err: Error | null, r: unknown[]) => void);
  }

  /** Publishes a request; resolves once every node alive when it was sent has answered or gone. */
  private readonly ask: Ask = (type, body, onResponse) => {
    const waiting = this.closed ? new Set<string>() : this.nodes.uids();
    return this.requests
      .collect(
        waiting,
        this.clusterOptions.requestsTimeout,
        (requestId) => {
          const frame = encodeFrame(this.message(type, body(requestId)));
          return this.sender.send(undefined, () => this.publish(REQUEST, frame));
        },
        onResponse,
      )
      .then((err) => err && this.toError(err));
  };

  /** A request that expects no answer (unless closed). */
  private sendRequest(type: Message["type"], body: object): void {
    if (!this.closed) this.send(REQUEST, type, body);
  }

  /** Encodes and publishes in order; failures are reported. */
  private send(channel: ClusterChannel, type: Message["type"], body: object): void {
    let frame: Buffer;
    try {
      frame = encodeFrame(this.message(type, body));
    } catch (err) {
      this.report(err);
      return;
    }
    this.sender.send(undefined, () => this.publish(channel, frame)).catch((err) => this.report(err));
  }

  /** The envelope every node checks: type, sender, namespace. */
  protected message(type: Message["type"], body: object): object {
    return { type, uid: this.uid, nsp: this.host.name, ...body };
  }

  private handle(msg: Message, offset: string | undefined): void {
    if (msg.nsp !== this.host.name) return;
    switch (msg.type) {
      case MessageType.BROADCAST: {
        // Unlogged broadcasts of this node were delivered locally when sent.
        if (msg.uid === this.uid && offset === undefined) return;
        const data = msg.packet.data;
        const packet: Packet = { type: msg.packet.type as Packet["type"], nsp: this.host.name, data };
        if (msg.packet.id !== undefined) packet.id = msg.packet.id;
        if (offset !== undefined && Array.isArray(data)) {
          data.push(offset);
          this.onLoggedBroadcast(offset, msg.opts, data);
        }
        this.deliverSafely(packet, fromWire(msg.opts));
        return;
      }
      case MessageType.FETCH_SOCKETS_RESPONSE:
      case MessageType.SERVER_SIDE_EMIT_RESPONSE:
      case MessageType.BROADCAST_CLIENT_COUNT:
      case MessageType.BROADCAST_ACK:
        this.requests.response(msg);
        return;
      case MessageType.ADAPTER_CLOSE:
        if (msg.uid !== this.uid) this.nodes.remove(msg.uid);
        return;
      default:
        if (msg.uid === this.uid) return;
        this.nodes.seen(msg.uid);
        answerRequest(msg, this.local, this.responder);
    }
  }

  // ── errors ───────────────────────────────────────────────────────────────────────────────────

  /** Reports an error as a value: adapter "error" listeners, else the server's, else a process warning. */
  protected report(err: unknown): void {
    const error = this.toError(err);
    if (this.listenerCount("error") > 0) {
      try {
        this.emit("error", error);
        return;
      } catch {}
    }
    if (this.host.hasErrorListeners()) {
      this.host.reportError(error);
      return;
    }
    process.emitWarning(`${error.message} (namespace ${this.host.name})`, { code: error.code });
  }
}

function noop(): void {}

function firstRoom(rooms: Set<Room>): Room {
  return rooms.values().next().value as Room;
}

function wirePacket(packet: Packet): { type: number; data: unknown } {
  return { type: packet.type, data: packet.data };
}
