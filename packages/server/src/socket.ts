import type { IncomingMessage } from "node:http";
import type { EngineSocket } from "@volley/engine";
import { type Packet, PacketType } from "@volley/protocol";
import type { Room, SocketId } from "./adapter.js";
import type { Client } from "./client.js";
import { EventBucket } from "./rate-limiter.js";
import { PendingAcks } from "./socket-acks.js";
import { connectAnswer, connectRefusal, replayMissed } from "./socket-connect-packets.js";
import { SocketEmitModifiers } from "./socket-emit-modifiers.js";
import { compactAuth, msSinceEpoch, socketHandshake } from "./socket-handshake.js";
import { missedPackets, type PreviousSession, persistLeavingSocket } from "./socket-recovery.js";
import { type DisconnectReason, RECOVERABLE_REASONS, RESERVED_EVENTS } from "./disconnect-reason.js";
import type { ExactlyOnceSession } from "./exactly-once-session.js";
import type { Handshake } from "./handshake.js";
import type { Namespace } from "./namespace.js";
import type { AnyListener, Event, SocketMiddleware, SocketReservedEvents } from "./socket-events.js";
import type {
  AckResult,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventParamsWithoutAck,
  EventsMap,
} from "./typed-events.js";
import { debug } from "./debug.js";

// Bits of `Socket.bits`.
const CONNECTED = 1;
/** Connected once: from then on, with recovery on, its emits are logged even while it is away. */
const EVER_CONNECTED = 2;
/**
 * Left its namespace (disconnected, or refused by a middleware): it joins no room any more. After a
 * disconnection with recovery on, its emits are still logged for the client to get on its return.
 */
const ENDED = 4;
const RECOVERED = 8;

export type { PreviousSession };

/**
 * One client connected to one namespace. Most state is created on first use, so an idle socket
 * costs little memory.
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
> extends SocketEmitModifiers<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  readonly client: Client;
  /** Public id, shared with the client (CONNECT reply `sid`); also the name of the socket's own room. */
  readonly id: SocketId;
  /** Booleans as bits ({@link CONNECTED} …): one field instead of four; idle sockets count in thousands. */
  private bits = 0;
  /** @internal Private session id, sent only to this client, used to restore its state. */
  readonly _pid: string | undefined;
  /** @internal Recovery log position when the socket connected. */
  _logSeq: number | undefined;
  /** @internal The exactly-once record of this socket's session, when its client asked for one. */
  _exactlyOnce: ExactlyOnceSession | undefined;
  private readonly wantsExactlyOnce: boolean;
  /** When it was created, in ms after the epoch of `socket-handshake.ts`: a small integer, not a boxed timestamp. */
  private readonly issuedAfterEpoch: number;
  /** The CONNECT packet's `auth`; undefined when empty (most clients send none): no object per socket. */
  private readonly auth: Record<string, unknown> | undefined;
  private cachedHandshake: Handshake | undefined;
  private dataStore: SocketData | undefined;
  /** Acknowledgements awaited from the client; made on the first emit that asks for one. */
  private acks: PendingAcks | undefined;
  private previous: PreviousSession | undefined;
  /** Incoming event budget (`eventRateLimit`); undefined when the limit is off. */
  private readonly eventBucket: EventBucket | undefined;

  /** @internal Created by the namespace when a client connects. */
  constructor(
    nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: Client,
    auth: Record<string, unknown>,
    previous?: PreviousSession,
    exactlyOnce = false,
  ) {
    super();
    this.wantsExactlyOnce = exactlyOnce;
    this.nsp = nsp;
    this.client = client;
    this.auth = compactAuth(auth);
    this.issuedAfterEpoch = msSinceEpoch();
    const eventRate = nsp.server._eventRate;
    this.eventBucket = eventRate ? new EventBucket(eventRate) : undefined;
    const recovery = nsp.server._recovery !== undefined;
    if (previous) {
      this.id = previous.sid;
      this._pid = previous.pid;
      this.bits |= RECOVERED;
      this.dataStore = previous.data as SocketData;
      this.previous = previous;
    } else {
      this.id = nsp.adapter.socketId() ?? nsp.server._generateId();
      this._pid = recovery ? nsp.server._generateId() : undefined;
    }
  }

  /** Details of the connection, computed on first access. */
  get handshake(): Handshake {
    if (!this.cachedHandshake) {
      this.cachedHandshake = socketHandshake(this.client.conn, this.issuedAfterEpoch, this.auth);
    }
    return this.cachedHandshake;
  }

  /** Free-form data attached to the socket; shared with other servers by `fetchSockets`. */
  get data(): SocketData {
    if (this.dataStore === undefined) this.dataStore = {} as SocketData;
    return this.dataStore;
  }

  set data(value: SocketData) {
    this.dataStore = value;
  }

  /**
   * The underlying Engine.IO session (`@volley/engine`'s `EngineSocket`): `transport.name`,
   * `upgraded`, `remoteAddress`, events `upgrade`, `packet`, `close`…, and `close()`.
   */
  get conn(): EngineSocket {
    return this.client.conn as unknown as EngineSocket;
  }

  /** The handshake request. */
  get request(): IncomingMessage {
    return this.client.conn.request;
  }

  get server() {
    return this.nsp.server;
  }

  get adapter() {
    return this.nsp.adapter;
  }

  /** Whether the socket is currently connected. */
  get connected(): boolean {
    return (this.bits & CONNECTED) !== 0;
  }

  /** Whether this socket's state (id, rooms, data, missed packets) was restored after a reconnection. */
  get recovered(): boolean {
    return (this.bits & RECOVERED) !== 0;
  }

  get disconnected(): boolean {
    return !this.connected;
  }

  /** The rooms this socket is in (always including its own id while connected). */
  get rooms(): Set<Room> {
    return this.nsp.adapter.socketRooms(this.id) ?? new Set();
  }

  /**
   * Sends an event to this client. A function as last argument asks for an acknowledgement.
   * @throws Error when `ev` is a reserved event name (`connect`, `disconnect`, …).
   */
  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const data: unknown[] = [ev];
    for (let i = 0; i < args.length; i++) data.push(args[i]);
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp.name, data };
    const flags = this.takeFlags();
    const last = data[data.length - 1];
    if (typeof last === "function") {
      data.pop();
      const id = this.nsp._nextAckId();
      packet.id = id;
      // Exactly-once: the session keeps it until the client answers, and sends it again after a cut.
      const once = this._exactlyOnce;
      if (once?.emit(packet, flags?.compress, last as AnyListener, flags?.timeout)) {
        this.nsp.server._counters.acksRequested++;
        if (this._anyOutgoing) this._notifyOutgoing(data);
        return true;
      }
      this.registerAck(id, last as AnyListener, flags?.timeout);
    }
    // Before CONNECT (an emit from a namespace middleware) the socket is in no room yet: written
    // directly (socket.io-client buffers it until connected), not logged. While disconnected it is
    // logged all the same: a client that comes back with its session gets it in the replay.
    if (
      this.nsp.server._recovery &&
      (this.bits & EVER_CONNECTED) !== 0 &&
      packet.id === undefined &&
      !flags?.volatile
    ) {
      // Through the adapter so the packet gets an offset and is logged for recovery. One recipient:
      // no frame to share, so it is deflated like any single emit unless `compress(false)`.
      const compress = flags?.compress ?? true;
      this.nsp.adapter.broadcast(packet, { rooms: new Set([this.id]), flags: { ...flags, compress } });
      return true;
    }
    if (this._anyOutgoing) this._notifyOutgoing(data);
    this.client._writePacket(packet, flags?.volatile === true, flags?.compress);
    return true;
  }

  /** Emits and resolves with the client's acknowledgement (rejects on `timeout()` expiry). */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: EventParamsWithoutAck<EmitEvents, Ev>
  ): Promise<AckResult<EmitEvents, Ev>> {
    const withErr = this.nextTimeout !== undefined;
    return new Promise((resolve, reject) => {
      const ack = withErr
        ? (err: Error | null, res: AckResult<EmitEvents, Ev>) => (err ? reject(err) : resolve(res))
        : (res: AckResult<EmitEvents, Ev>) => resolve(res);
      (this.emit as (ev: string, ...a: unknown[]) => boolean)(ev, ...args, ack);
    });
  }

  /** `emit("message", ...args)`. */
  send(...args: EventParams<EmitEvents, "message">): this {
    (this.emit as (ev: string, ...a: unknown[]) => boolean)("message", ...args);
    return this;
  }

  /** Alias of {@link send}. */
  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  /** Joins one or more rooms; does nothing once the socket has left its namespace. */
  join(rooms: Room | Room[]): Promise<void> | void {
    if ((this.bits & ENDED) !== 0) return;
    return this.nsp.adapter.addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
  }

  /** Leaves a room. */
  leave(room: Room): Promise<void> | void {
    return this.nsp.adapter.del(this.id, room);
  }

  /**
   * Disconnects this socket from its namespace (reason "server namespace disconnect"); with
   * `close`, closes the whole underlying connection too.
   */
  disconnect(close = false): this {
    if (!this.connected) return this;
    if (close) {
      this.client._disconnect();
    } else {
      this.client._writePacket({ type: PacketType.DISCONNECT, nsp: this.nsp.name }, false, undefined);
      this._onclose("server namespace disconnect");
    }
    return this;
  }

  /** @internal Acknowledgements this socket still awaits from its client. */
  _pendingAcks(): number {
    return this.acks === undefined ? 0 : this.acks.size;
  }

  /** @internal Registers an acknowledgement (also used by broadcasts with acks). */
  _registerAck(id: number, fn: AnyListener): void {
    this.pendingAcks().register(id, fn);
  }

  private registerAck(id: number, fn: AnyListener, timeout: number | undefined): void {
    if (timeout === undefined) this.pendingAcks().register(id, fn);
    else this.pendingAcks().registerWithTimeout(id, fn, timeout, this.nsp.server._clock);
  }

  private pendingAcks(): PendingAcks {
    if (!this.acks) this.acks = new PendingAcks(this.nsp.server._counters, this);
    return this.acks;
  }

  /** @internal Joins its rooms, answers CONNECT, replays what a restored client missed. */
  _onconnect(): void {
    this.bits |= CONNECTED | EVER_CONNECTED;
    const previous = this.previous;
    this.previous = undefined;
    const rooms = new Set<Room>([this.id]);
    if (previous) for (const room of previous.rooms) rooms.add(room);
    this.join([...rooms]);
    const adapter = this.nsp.adapter;
    const log = adapter.log;
    if (log) this._logSeq = log.nextSeq - 1;
    const missed = previous && missedPackets(previous, adapter, rooms);
    const once =
      this.wantsExactlyOnce && this._pid
        ? this.nsp._exactlyOnceSessions()?.open(this._pid, previous !== undefined)
        : undefined;
    this._exactlyOnce = once?.session;
    const nsp = this.nsp.name;
    this.client._writePacket(
      connectAnswer(nsp, this.id, this._pid, once?.continued === true),
      false,
      undefined,
    );
    if (missed) replayMissed(nsp, missed, (packet) => this.client._writePacket(packet, false, undefined));
    once?.session.attach(this);
  }

  /** @internal Its exactly-once client is back on another connection: this one closes. */
  _supersede(): void {
    this.client._supersede();
  }

  /** @internal Writes a packet of the exactly-once session (its emits, acknowledgements). */
  _writeExactlyOnce(packet: Packet, compress: boolean | undefined): void {
    this.client._writePacket(packet, false, compress);
  }

  /** @internal The join ended without a connection (refused, or the client left): rooms joined meanwhile go. */
  _discard(): void {
    if ((this.bits & (ENDED | CONNECTED)) !== 0) return;
    this.bits |= ENDED;
    this.nsp.adapter.delAll(this.id);
  }

  /** @internal Refuses the connection (middleware error). */
  _connectError(err: Error & { data?: unknown }): void {
    this.nsp.server._counters.connectRefused("middleware");
    if (debug.enabled) debug.log("CONNECT to %s refused by a middleware: %s", this.nsp.name, err.message);
    this.client._writePacket(connectRefusal(this.nsp.name, err), false, undefined);
  }

  /** @internal A protocol error on the connection, just before it closes. */
  _onerror(err: Error): void {
    if (this.listenerCount("error") > 0) this.emitOwn(["error", err]);
  }

  /** @internal */
  _onpacket(packet: Packet): void {
    switch (packet.type) {
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        this.onevent(packet);
        return;
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        this.onack(packet);
        return;
      case PacketType.DISCONNECT:
        this._onclose("client namespace disconnect");
        return;
    }
  }

  private onevent(packet: Packet): void {
    const args = packet.data as unknown[];
    if (typeof args[0] !== "string" || RESERVED_EVENTS.has(args[0])) return; // never let a client fire "disconnect"
    if (this.eventBucket && !this.eventBucket.take(this.nsp.server._eventRate!)) {
      this.client._overEventRate(this.nsp.server._eventRate!);
      return; // dropped: handlers never see it, an ack is never sent
    }
    const id = packet.id;
    if (id !== undefined) {
      const once = this._exactlyOnce;
      // Exactly-once: a repeat is answered again (or waits for its answer), never processed twice.
      if (once && once.arrive(id, this.nsp.name).kind !== "new") return;
      args.push(once ? once.ackFor(id, this.nsp.name) : this.ack(id));
    }
    this.deliver(args);
  }

  protected reportUnhandled(err: unknown): void {
    this.nsp.server._reportError(err, this);
  }

  /** One acknowledgement function per EVENT that asked for one; sends the ACK at most once. */
  private ack(id: number): AnyListener {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent || !this.connected) return;
      sent = true;
      this.client._writePacket(
        { type: PacketType.ACK, nsp: this.nsp.name, id, data: args },
        false,
        undefined,
      );
    };
  }

  private onack(packet: Packet): void {
    const fn = this.acks?.take(packet.id!) ?? this._exactlyOnce?.settle(packet.id!);
    if (!fn) return;
    this.nsp.server._counters.acksReceived++;
    this.call(fn, packet.data as unknown[]);
  }

  /** @internal Leaves the namespace: "disconnecting", rooms left, "disconnect". */
  _onclose(reason: DisconnectReason, description?: unknown): void {
    if (!this.connected) return;
    this.nsp.server._counters.disconnected(reason);
    if (debug.enabled) debug.log("socket %s left %s: %s", this.id, this.nsp.name, reason);
    this.emitOwn(["disconnecting", reason, description]);
    const adapter = this.nsp.adapter;
    if (this._pid && RECOVERABLE_REASONS.has(reason)) {
      const leaving = { sid: this.id, pid: this._pid, data: this.dataStore, logSeq: this._logSeq };
      persistLeavingSocket(adapter, leaving, (err) => this.nsp.server._reportError(err, this));
    }
    const once = this._exactlyOnce;
    if (once) this.nsp._exactlyOnceSessions()?.close(once, this, RECOVERABLE_REASONS.has(reason));
    this.bits |= ENDED;
    adapter.delAll(this.id);
    this.nsp._remove(this);
    this.client._remove(this);
    this.bits &= ~CONNECTED;
    this.acks = undefined;
    this.emitOwn(["disconnect", reason, description]);
  }
}

export type { Event, SocketMiddleware, SocketReservedEvents };
