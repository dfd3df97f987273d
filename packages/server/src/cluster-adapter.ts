// The base of every cluster adapter: the adapter operations over a cluster, whatever carries the
// messages. Broadcasts (local sockets at once, the others through the transport, kept while it is
// down), acknowledgements from remote sockets, requests and their responses, answers to the
// others' requests. Being a node (joining, liveness, sending, errors) is ClusterNode's; a backend
// (Redis, an in-process bus, …) adds the transport alone. The modules under cluster/ hold each
// concern; this class wires them to the server through `this.host`.
import type { Packet } from "@volley/protocol";
import type { BroadcastOptions, Room, SocketDetails, SocketId } from "./adapter.js";
import { encodeFrame } from "./cluster/message-codec.js";
import { type Message, MessageType, type WireOptions } from "./cluster/messages.js";
import type { ClusterAdapterOptions } from "./cluster/options.js";
import { OutageBuffer } from "./cluster/outage-buffer.js";
import { type Ask, askServerSideEmit, askSocketIds, askSockets } from "./cluster/queries.js";
import { collectRemoteAcks } from "./cluster/remote-acks.js";
import { answerRequest, type LocalNode, type Responder } from "./cluster/request-handlers.js";
import { Rejoins } from "./cluster/rejoins.js";
import { ClusterRequests } from "./cluster/requests.js";
import { fromWire, toWire } from "./cluster/wire.js";
import { type ClusterChannel, ClusterNode, REQUEST } from "./cluster-node.js";
import type { Namespace } from "./namespace.js";
import type { Socket } from "./socket.js";
import type { ClusterMetricsSnapshot } from "./metrics-snapshot.js";

export type { ClusterChannel };

const ALL: ClusterChannel = { kind: "broadcast", room: undefined };

/**
 * A cluster adapter without its transport. Subclasses implement {@link publish},
 * {@link subscribeNode} and {@link unsubscribeNode}, and hand every message they receive to
 * {@link receive}. While {@link transportAvailable} is false, broadcasts reach local sockets at once
 * and are kept (bounded) for the others; the backend calls {@link transportUp} when it is back.
 */
export abstract class ClusterAdapter extends ClusterNode {
  private readonly requests: ClusterRequests;
  private readonly outage: OutageBuffer;
  private readonly rejoins = new Rejoins();
  private readonly local: LocalNode;
  private readonly responder: Responder;

  constructor(nsp: Namespace, opts: ClusterAdapterOptions = {}) {
    super(nsp, opts);
    const o = this.clusterOptions;
    this.requests = new ClusterRequests(this.uid, this.clusterStats);
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
  }

  /** Hook: a logged broadcast (carrying its recovery `offset`) arrived; its data ends with the offset. */
  protected onLoggedBroadcast(_offset: string, _opts: WireOptions, _data: unknown[]): void {}

  /**
   * Broadcasts kept during the outage go out once every node known alive is back too (at most
   * `requestsTimeout`; later sends queue behind them, in order); those lost are reported.
   */
  protected override onTransportUp(): void {
    const { entries, lost } = this.outage.take();
    if (entries.length > 0) {
      this.sender.hold(this.rejoins.wait(this.nodes.uids(), this.clusterOptions.requestsTimeout));
    }
    for (const entry of entries) {
      this.sender
        .send(undefined, () => this.publish({ kind: "broadcast", room: entry.room }, entry.frame))
        .catch((err) => this.report(err));
    }
    const lostError = OutageBuffer.lostError(lost, "outage buffer full");
    if (lostError) this.report(lostError);
  }

  protected override onClose(): void {
    this.rejoins.stop();
    this.requests.closeAll();
    const { entries, lost } = this.outage.take();
    const lostError = OutageBuffer.lostError(entries.length + lost, "the adapter closed first");
    if (lostError) this.report(lostError);
  }

  /** Metrics hook: the node's, plus the broadcasts lost while the transport was down. */
  override clusterMetrics(): ClusterMetricsSnapshot {
    const metrics = super.clusterMetrics();
    metrics.broadcastsLost = this.outage.lostTotal;
    return metrics;
  }

  protected override onNodeGone(uid: string): void {
    this.requests.nodeGone(uid);
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

  protected override handle(msg: Message, offset: string | undefined): void {
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
        if (msg.type === MessageType.HEARTBEAT || msg.type === MessageType.INITIAL_HEARTBEAT) {
          this.rejoins.heard(msg.uid);
        }
        answerRequest(msg, this.local, this.responder);
    }
  }
}

function noop(): void {}

function firstRoom(rooms: Set<Room>): Room {
  return rooms.values().next().value as Room;
}

function wirePacket(packet: Packet): { type: number; data: unknown } {
  return { type: packet.type, data: packet.data };
}
