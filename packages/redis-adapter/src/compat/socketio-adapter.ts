// The Redis adapter in socket.io compat mode (`compat: "socket.io"`): a cluster adapter whose Redis
// traffic is that of the official @socket.io/redis-adapter 8.x, so Volley and Socket.IO servers on
// one Redis form one cluster during a migration. What the cluster base class sends is translated
// at the transport (translate.ts); what official nodes send is checked (socketio-wire.ts) and handed
// to the base class as its own messages. As in the official adapter: every node receives every
// broadcast (a pattern subscription, no interest routing), the server count is the subscriber count
// of the request channel, requests expect one response per other server (counted-requests.ts), and
// there is no connection-state recovery across servers. A malformed message, or one of a type this
// node does not handle, is counted and skipped; malformed ones are also reported.
import {
  type BroadcastOptions,
  ClusterAdapter,
  type ClusterAdapterError,
  type ClusterChannel,
  decodeFrame,
  type Namespace,
  type Packet,
  type PrivateSessionId,
  type RestoredSession,
  type Room,
  type SocketDetails,
  type SocketId,
  toWire,
  validateMessage,
} from "volley";
import type { Socket } from "volley";
import { type ChannelRouter, patternRouterFor, routerFor } from "../channel-router.js";
import { toRedisAdapterError } from "../errors.js";
import { type RedisAdapterOptions, resolveOptions } from "../options.js";
import { isReady, type RedisClient } from "../redis-client.js";
import { collectCountedAcks } from "./counted-acks.js";
import { type AskOthers, askServerSideEmit, askSocketIds, askSockets } from "./counted-queries.js";
import { CountedRequests } from "./counted-requests.js";
import { encodeMsgpack } from "./msgpack.js";
import { SocketIoChannels } from "./socketio-channels.js";
import {
  decodePayload,
  encodeJsonOrMsgpack,
  parseBroadcast,
  parseRequest,
  parseResponse,
  SioType,
  UnknownSioType,
} from "./socketio-wire.js";
import {
  broadcastFromSocketIo,
  requestFromSocketIo,
  sioOptions,
  sioPacket,
  toSocketIo,
} from "./translate.js";

/** Messages skipped since the adapter started. */
export interface SkippedMessages {
  /** Could not be decoded, or failed the checks (also reported as `MALFORMED_MESSAGE`). */
  malformed: number;
  /** Well-formed, of a request or response type this node does not know (a later version's). */
  unknown: number;
}

/**
 * A Redis adapter speaking the wire format of the official `@socket.io/redis-adapter` 8.x. Created by
 * `createAdapter(pub, sub, { compat: "socket.io" })`.
 */
export class SocketIoCompatAdapter extends ClusterAdapter {
  private readonly pub: RedisClient;
  private readonly router: ChannelRouter;
  private readonly patterns: ChannelRouter;
  private readonly channels: SocketIoChannels;
  private readonly counted = new CountedRequests();
  private readonly skipped: SkippedMessages = { malformed: 0, unknown: 0 };
  private readonly reportFn = (err: unknown) => this.report(err);
  private readonly onBroadcastMessage = (raw: Buffer) => this.receiveBroadcast(raw);
  private readonly onRequestMessage = (raw: Buffer) => this.receiveRequest(raw);
  private readonly onResponseMessage = (raw: Buffer) => this.receiveResponse(raw);
  private readonly onBack = () => this.transportUp();
  private readonly stopRestored: Array<() => void>;

  constructor(
    nsp: Namespace,
    pubClient: RedisClient,
    subClient: RedisClient,
    opts: RedisAdapterOptions = {},
  ) {
    super(nsp, opts);
    if (pubClient === subClient) {
      throw new TypeError(
        "pubClient and subClient must be two connections: a subscribed connection cannot publish (use pubClient.duplicate())",
      );
    }
    this.pub = pubClient;
    this.channels = new SocketIoChannels(
      resolveOptions({ ...opts, compat: "socket.io" }).key,
      this.host.name,
    );
    this.router = routerFor(subClient);
    this.patterns = patternRouterFor(subClient);
    this.stopRestored = [this.router.onRestored(this.onBack), this.patterns.onRestored(this.onBack)];
    pubClient.on("ready", this.onBack);
  }

  /** How many messages from Redis were skipped (malformed, or of a type not handled). */
  get skippedMessages(): SkippedMessages {
    return { ...this.skipped };
  }

  // ── the transport ────────────────────────────────────────────────────────────────────────────

  /** Sends the official form of a message of the base class; Volley-only messages are not sent. */
  protected override publish(_channel: ClusterChannel, frame: Buffer): Promise<unknown> {
    try {
      const out = toSocketIo(validateMessage(decodeFrame(frame)), this.channels, this.host.name);
      return out ? this.pub.call("PUBLISH", out.channel, out.payload) : Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private publishRaw(channel: string, payload: Buffer): Promise<unknown> {
    return this.sender.send(undefined, () => this.pub.call("PUBLISH", channel, payload));
  }

  protected override async subscribeNode(): Promise<void> {
    const c = this.channels;
    await Promise.all([
      this.patterns.subscribe(c.allPattern, this.onBroadcastMessage, this.reportFn),
      this.router.subscribe(c.request, this.onRequestMessage, this.reportFn),
      this.router.subscribe(c.response, this.onResponseMessage, this.reportFn),
      this.router.subscribe(c.responseTo(this.uid), this.onResponseMessage, this.reportFn),
    ]);
  }

  protected override async unsubscribeNode(): Promise<void> {
    const c = this.channels;
    await Promise.all([
      this.patterns.unsubscribe(c.allPattern, this.onBroadcastMessage),
      this.router.unsubscribe(c.request, this.onRequestMessage),
      this.router.unsubscribe(c.response, this.onResponseMessage),
      this.router.unsubscribe(c.responseTo(this.uid), this.onResponseMessage),
    ]);
  }

  protected override transportAvailable(): boolean {
    return isReady(this.pub) && this.router.connected && this.patterns.connected;
  }

  protected override toError(err: unknown): ClusterAdapterError {
    return toRedisAdapterError(err);
  }

  protected override onClose(): void {
    super.onClose();
    this.counted.closeAll();
  }

  /** Unsubscribes. Never closes the Redis clients. */
  override async close(): Promise<void> {
    if (this.closed) return;
    for (const stop of this.stopRestored) stop();
    this.pub.off("ready", this.onBack);
    await super.close();
  }

  // ── receiving ────────────────────────────────────────────────────────────────────────────────

  private receiveBroadcast(raw: Buffer): void {
    this.guard(() => this.handle(broadcastFromSocketIo(parseBroadcast(decodePayload(raw))), undefined));
  }

  private receiveRequest(raw: Buffer): void {
    this.guard(() => {
      const request = parseRequest(decodePayload(raw));
      if (request.uid === this.uid) return;
      if (request.type === SioType.SOCKETS) {
        const ids: SocketId[] = [];
        this.apply({ rooms: new Set(request.rooms) }, (socket) => ids.push(socket.id));
        this.respond({ requestId: request.requestId, sockets: ids });
        return;
      }
      if (request.type === SioType.ALL_ROOMS) {
        this.respond({ requestId: request.requestId, rooms: [...this.rooms.keys()] });
        return;
      }
      const msg = requestFromSocketIo(request, this.host.name);
      if (msg) this.handle(msg, undefined);
    });
  }

  private receiveResponse(raw: Buffer): void {
    this.guard(() => this.counted.response(parseResponse(decodePayload(raw))));
  }

  /** Runs the handling of one message: a failure is counted and skipped, never thrown. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof UnknownSioType) {
        this.skipped.unknown++;
        return;
      }
      this.skipped.malformed++;
      this.report(err);
    }
  }

  private respond(body: object): void {
    let payload: Buffer;
    try {
      payload = encodeJsonOrMsgpack(body);
    } catch (err) {
      this.report(err);
      return;
    }
    this.publishRaw(this.channels.response, payload).catch(this.reportFn);
  }

  // ── what needs every server's answer, counted as the official adapter counts ────────────────

  /** The subscriber count of the request channel: every server of the namespace, of either kind. */
  override async serverCount(): Promise<number> {
    try {
      const reply = (await this.pub.call("PUBSUB", "NUMSUB", this.channels.request)) as unknown[];
      const subscribed = Number(reply[1]) || 0;
      // Until it has joined, this server is not among the subscribers.
      return this.joined ? Math.max(1, subscribed) : subscribed + 1;
    } catch (err) {
      this.report(err);
      return 1;
    }
  }

  /** How many other servers are to answer a request sent now. */
  private async otherServers(): Promise<number> {
    await this.ready;
    if (this.closed || !this.transportAvailable()) return 0;
    const reply = (await this.pub.call("PUBSUB", "NUMSUB", this.channels.request)) as unknown[];
    return Math.max(0, (Number(reply[1]) || 0) - (this.joined ? 1 : 0));
  }

  /** Sends a request to every other server and gathers their answers; never rejects. */
  private readonly askOthers: AskOthers = async (body, onResponse) => {
    let expected: number;
    try {
      expected = await this.otherServers();
    } catch (err) {
      return this.toError(err);
    }
    const err = await this.counted.collect(
      expected,
      this.clusterOptions.requestsTimeout,
      // A value that cannot be encoded throws here: collect ends the request with it.
      (requestId) => this.publishRaw(this.channels.request, encodeJsonOrMsgpack(body(requestId))),
      onResponse,
    );
    return err && this.toError(err);
  };

  /** Ids of the sockets in any of `rooms` on every server (official servers answer SOCKETS). */
  override async sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    this.apply({ rooms }, (socket) => ids.add(socket.id));
    const err = await askSocketIds(this.askOthers, this.uid, [...rooms], ids);
    if (err) this.report(err);
    return ids;
  }

  /** The matching sockets of every server; a server that does not answer in time is reported. */
  override async fetchSockets(opts: BroadcastOptions): Promise<Array<Socket | SocketDetails>> {
    const out: Array<Socket | SocketDetails> = [];
    this.apply(opts, (socket) => out.push(socket));
    if (opts.flags?.local) return out;
    const err = await askSockets(this.askOthers, this.uid, toWire(opts), out);
    if (err) this.report(err);
    return out;
  }

  /**
   * Emits to the other servers; with an acknowledgement callback last, `(null, responses)` once
   * every other server answered, or `(error, responsesSoFar)` after `requestsTimeout`.
   */
  override serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (typeof last !== "function") {
      super.serverSideEmit(packet);
      return;
    }
    const ack = last as (err: Error | null, responses: unknown[]) => void;
    askServerSideEmit(this.askOthers, this.uid, packet.slice(0, -1), ack);
  }

  /**
   * Local sockets at once, the other servers through Redis in the official form, encoded straight
   * from the packet. While Redis is unreachable the base class keeps the broadcast for later.
   */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (opts.flags?.local || this.closed || !this.transportAvailable()) {
      super.broadcast(packet, opts);
      return;
    }
    packet.nsp = this.host.name;
    this.deliverSafely(packet, opts);
    const only = opts.rooms.size === 1 ? (opts.rooms.values().next().value as Room) : undefined;
    // A socket of this server is on no other server.
    if (only !== undefined && this.host.sockets.has(only as SocketId)) return;
    let payload: Buffer;
    try {
      payload = encodeMsgpack([this.uid, sioPacket(packet, this.host.name), sioOptions(toWire(opts))]);
    } catch (err) {
      this.report(err);
      return;
    }
    const channel = only === undefined ? this.channels.all : this.channels.room(only);
    this.publishRaw(channel, payload).catch(this.reportFn);
  }

  /**
   * Asks every matching socket of every server for an acknowledgement: each other server reports
   * how many sockets it reached, then their acknowledgements. Servers that have not reported by the
   * deadline (`timeout` flag, else `requestsTimeout`) count as zero.
   */
  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    let payload: Buffer | undefined;
    const remote = !opts.flags?.local && !this.closed;
    const requestId = this.counted.nextId();
    if (remote) {
      try {
        // Encoded before the local delivery, which gives the packet this server's ack id.
        payload = encodeMsgpack({
          uid: this.uid,
          requestId,
          type: SioType.BROADCAST,
          packet: sioPacket(packet, this.host.name),
          opts: sioOptions(toWire(opts)),
        });
      } catch (err) {
        this.report(err);
      }
    }
    clientCountCallback(this.deliverWithAck(packet, opts, ack));
    if (!payload) return;
    const acks = collectCountedAcks(
      this.counted,
      requestId,
      opts.flags?.timeout ?? this.clusterOptions.requestsTimeout,
      clientCountCallback,
      ack,
    );
    this.otherServers().then(
      (n) => acks.expect(n),
      (err) => {
        this.report(err);
        acks.finish();
      },
    );
    this.publishRaw(this.channels.request, payload).catch((err) => {
      this.report(err);
      acks.finish();
    });
  }

  // ── connection-state recovery: not across servers (the official adapter has none) ────────────

  /** Nothing is kept: a client that reconnects starts a fresh session. */
  override persistSession(): void {}

  /** Always null (a fresh session). */
  override restoreSession(
    _pid: PrivateSessionId,
    _offset: string | undefined,
  ): Promise<RestoredSession | null> {
    return Promise.resolve(null);
  }
}
