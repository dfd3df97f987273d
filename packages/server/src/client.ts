// One Engine.IO session: decodes its messages into packets, routes them to the socket of each
// namespace, and writes packets back. A malformed packet closes this session only ("parse error").
import { type CloseHint, sendHint } from "@volley/engine";
import { type DecoderLike, type EncoderLike, type Packet, PacketType, ProtocolError } from "@volley/protocol";
import type { DisconnectReason } from "./disconnect-reason.js";
import type { EngineSession, PreparedPacket } from "./engine-contract.js";
import type { EventRateSettings } from "./rate-limiter.js";
import type { Server } from "./server.js";
import type { Socket } from "./socket.js";
import { debug, debugPacket, logPacket } from "./debug.js";
import { LEGACY_ENGINE_PROTOCOL, LegacyConnectEncoder, parseLegacyNamespace } from "./socketio-v2-compat.js";

function connectTimedOut(client: Client): void {
  client._onConnectTimeout();
}

const COMPRESS = { compress: true } as const;
const NO_COMPRESS = { compress: false } as const;

export class Client {
  // biome-ignore lint/suspicious/noExplicitAny: any server typing
  readonly server: Server<any, any, any, any>;
  /** The Engine.IO session. */
  readonly conn: EngineSession;
  private readonly decoder: DecoderLike;
  /** The server's encoder, or for a Socket.IO v2-era client (Engine.IO 3) one that speaks its CONNECT. */
  private readonly encoder: EncoderLike;
  /**
   * Connected sockets, one per namespace. A client is in one namespace, or a few: the socket itself while
   * it is the only one (no container per connection), a short array beyond (searched as fast as a Map).
   */
  private sockets: Socket | Socket[] | undefined;
  /** Namespaces whose CONNECT is being processed (middlewares may be async); created on demand. */
  private connecting: Set<string> | undefined;
  private connectTimer: unknown;
  private failReason: DisconnectReason | undefined;
  private closed = false;

  // biome-ignore lint/suspicious/noExplicitAny: any server typing
  constructor(server: Server<any, any, any, any>, conn: EngineSession) {
    this.server = server;
    this.conn = conn;
    this.decoder = new server._parser.Decoder(server._decoderOptions);
    const legacy = conn.protocol === LEGACY_ENGINE_PROTOCOL;
    this.encoder = legacy ? new LegacyConnectEncoder(server._encoder) : server._encoder;
    // The session calls this client directly: no closures, no listener table per connection.
    conn.attachHandler(this);
    // Socket.IO's connectTimeout: a session that joins no namespace in time is closed.
    this.connectTimer = server._clock.setTimeout(connectTimedOut, server._connectTimeout, this);
    // A v2-era client is in the main namespace without asking (it never sends that CONNECT).
    if (legacy) this.connect("/", {});
  }

  /** @internal */
  _onConnectTimeout(): void {
    this.connectTimer = undefined;
    if (this.sockets === undefined) this.close();
  }

  get id(): string {
    return this.conn.id;
  }

  /** @internal The session's message (see `attachHandler`). */
  onSessionMessage(data: string | Buffer): void {
    this._ondata(data);
  }

  /** @internal The session closed. */
  onSessionClose(reason: string, description?: unknown): void {
    this._onclose(reason, description);
  }

  /** @internal */
  _isOpen(): boolean {
    return !this.closed;
  }

  /** @internal */
  _ondata(data: string | Buffer): void {
    let packet: Packet | undefined;
    try {
      packet = this.decoder.add(data);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!packet) return;
    if (debugPacket.enabled) logPacket(this.conn.id, "<", packet, data.length);
    this.onpacket(packet);
  }

  private onpacket(packet: Packet): void {
    this.server._counters.packetsReceived[packet.type]!++;
    if (packet.type === PacketType.CONNECT) {
      // Socket.IO protocol 4 (Engine.IO 3 clients, `allowEIO3`): the query rides in the namespace name.
      const { name, auth } =
        this.conn.protocol === LEGACY_ENGINE_PROTOCOL
          ? parseLegacyNamespace(packet.nsp)
          : { name: packet.nsp, auth: (packet.data as Record<string, unknown> | undefined) ?? {} };
      // As Socket.IO: a second CONNECT to a namespace this client is in breaks the protocol.
      if (this.socketOf(name) === undefined) this.connect(name, auth);
      else this.breach();
      return;
    }
    // As Socket.IO: a CONNECT_ERROR from the client, or any packet for a namespace this client is not
    // in, breaks the protocol and closes the connection ("forced close").
    const socket = this.socketOf(packet.nsp);
    if (socket === undefined || packet.type === PacketType.CONNECT_ERROR) {
      this.breach();
      return;
    }
    socket._onpacket(packet);
  }

  /** Closes the connection of a client that broke the protocol; its sockets see "forced close". */
  private breach(): void {
    if (this.closed || this.failReason) return;
    this.failReason = "forced close";
    this.conn.close();
  }

  private connect(name: string, auth: Record<string, unknown>): void {
    // A repeated CONNECT while the first is still being answered is ignored (socket.io-client sends
    // one per `socket.connect()` call until connected).
    if (this.connecting?.has(name)) return;
    if (!this.connecting) this.connecting = new Set();
    this.connecting.add(name);
    const nsp = this.server._nsps.get(name);
    if (nsp) {
      nsp._add(this, auth);
      return;
    }
    this.server._checkNamespace(name, auth, (dynamic, refusal = "Invalid namespace") => {
      if (this.closed) return;
      if (dynamic) dynamic._add(this, auth);
      else {
        this._settled(name);
        this.server._counters.connectRefused("namespace");
        if (debug.enabled) debug.log("%s: CONNECT to %s refused: %s", this.conn.id, name, refusal);
        this._writePacket({ type: PacketType.CONNECT_ERROR, nsp: name, data: { message: refusal } }, false);
      }
    });
  }

  /** @internal A CONNECT was answered (accepted or refused). */
  _settled(name: string): void {
    const connecting = this.connecting;
    if (!connecting) return;
    connecting.delete(name);
    if (connecting.size === 0) this.connecting = undefined;
  }

  /** @internal */
  _addSocket(socket: Socket): void {
    const sockets = this.sockets;
    if (sockets === undefined) this.sockets = socket;
    else if (!Array.isArray(sockets)) {
      this.sockets = sockets.nsp.name === socket.nsp.name ? socket : [sockets, socket];
    } else {
      const i = sockets.findIndex((s) => s.nsp.name === socket.nsp.name);
      if (i < 0) sockets.push(socket);
      else sockets[i] = socket;
    }
    if (this.connectTimer) {
      this.server._clock.clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    }
  }

  /** @internal */
  _remove(socket: Socket): void {
    const sockets = this.sockets;
    if (!Array.isArray(sockets)) {
      if (sockets === socket) this.sockets = undefined;
      return;
    }
    const i = sockets.indexOf(socket);
    if (i < 0) return;
    sockets.splice(i, 1);
    if (sockets.length === 1) this.sockets = sockets[0];
  }

  private socketOf(nsp: string): Socket | undefined {
    const sockets = this.sockets;
    if (sockets === undefined) return undefined;
    if (!Array.isArray(sockets)) return sockets.nsp.name === nsp ? sockets : undefined;
    for (let i = 0; i < sockets.length; i++) if (sockets[i]!.nsp.name === nsp) return sockets[i];
    return undefined;
  }

  /** The connected sockets, copied: leaving removes entries while the caller walks them. */
  private socketList(): Socket[] {
    const sockets = this.sockets;
    if (sockets === undefined) return [];
    return Array.isArray(sockets) ? sockets.slice() : [sockets];
  }

  /** @internal Encodes and sends one packet (acks, CONNECT replies, single-socket emits). */
  _writePacket(packet: Packet, volatile: boolean, compress?: boolean): void {
    if (this.closed || this.conn.readyState !== "open") return;
    if (volatile && !this.readyForMore()) {
      this.dropVolatile();
      return;
    }
    let chunks: Array<string | Uint8Array>;
    try {
      chunks = this.encoder.encode(packet);
    } catch (err) {
      this.server._reportError(err);
      return;
    }
    const opts = compress === undefined ? undefined : { compress };
    this.server._counters.packetsSent[packet.type]!++;
    if (debugPacket.enabled) logPacket(this.conn.id, ">", packet, sizeOf(chunks));
    for (const chunk of chunks) this.conn.send(typeof chunk === "string" ? chunk : toBuffer(chunk), opts);
  }

  /**
   * @internal Sends packets encoded once for a broadcast. `compress` is the broadcast's flag:
   * unset keeps the frame-once path (the shared frame is not deflated). `true` on a websocket
   * connection with permessage-deflate sends the message with `send(data, { compress: true })`:
   * deflate state is per connection, so that frame cannot be shared. `false` keeps the shared frame
   * when it is known to be uncompressed. Polling ignores the flag (HTTP compression is decided
   * per response).
   */
  _sendPrepared(packets: PreparedPacket[], volatile: boolean, compress?: boolean): void {
    const conn = this.conn;
    if (this.closed || conn.readyState !== "open") return;
    if (volatile && !this.readyForMore()) {
      this.dropVolatile();
      return;
    }
    this.server._counters.broadcastDeliveries += packets.length;
    if (compress !== undefined && conn.transport.name === "websocket") {
      const perConnection = this.server._perConnectionCompress;
      if (compress ? perConnection.on : perConnection.off) {
        const opts = compress ? COMPRESS : NO_COMPRESS;
        for (const prepared of packets) conn.send(prepared.data, opts);
        return;
      }
    }
    for (const prepared of packets) conn.sendPrepared(prepared);
  }

  /** A volatile packet the connection cannot take now: dropped, and counted. */
  private dropVolatile(): void {
    this.server._counters.volatileDropped++;
    if (debugPacket.enabled) debugPacket.log("%s: volatile packet dropped (not writable)", this.conn.id);
  }

  /**
   * Whether a volatile packet may go out now: the transport can write and nothing is still waiting to be
   * written (as Socket.IO, whose transport is not writable while a write is in flight). Back-to-back
   * volatile emits therefore do not all go out: the first does, the rest are dropped until it is written.
   */
  private readyForMore(): boolean {
    return this.conn.writable && this.conn.bufferedBytes === 0;
  }

  /** @internal Sends a close hint (an Engine.IO noop): why the server is about to close, when to come back. */
  _advise(hint: CloseHint): void {
    if (!this.closed && this.conn.readyState === "open") sendHint(this.conn, hint);
  }

  /** @internal Acknowledgements the server awaits from this client, all namespaces together. */
  _pendingAcks(): number {
    let n = 0;
    for (const socket of this.socketList()) n += socket._pendingAcks();
    return n;
  }

  /** @internal Graceful close: every socket leaves with "server shutting down", then the connection. */
  _shutdown(): void {
    for (const socket of this.socketList()) socket._onclose("server shutting down");
    this.sockets = undefined;
    this.close();
  }

  /** @internal `socket.disconnect(true)`: every socket leaves, then the connection closes. */
  _disconnect(): void {
    for (const socket of this.socketList()) socket.disconnect();
    this.sockets = undefined;
    this.close();
  }

  /**
   * @internal The client came back on another connection, naming this one's exactly-once session, while
   * this one still looks open (a polling client, or a silent network loss): it is gone for the client.
   * Its sockets leave now with "transport close", so their sessions are kept and can be recovered.
   */
  _supersede(): void {
    if (this.closed || this.failReason) return;
    this.failReason = "transport close";
    for (const socket of this.socketList()) socket._onclose("transport close");
    this.sockets = undefined;
    this.conn.close();
  }

  /** Closes the session; its sockets see "forced server close". */
  private close(): void {
    if (this.closed) return;
    if (!this.failReason) this.failReason = "forced server close";
    this.conn.close();
  }

  private fail(err: unknown): void {
    const error = err instanceof ProtocolError ? err : new ProtocolError("INVALID_PAYLOAD", String(err));
    this.cutOff("parse error", error);
  }

  /** @internal A socket sent events faster than `eventRateLimit`: drop (nothing to do) or disconnect. */
  _overEventRate(settings: EventRateSettings): void {
    if (settings.onExceeded === "disconnect")
      this.cutOff("event rate exceeded", new Error(settings.message), settings.reconnectAfter);
  }

  /**
   * Closes this connection for what its peer did: each socket gets `err`, then `reason`; the client is told
   * both first (a close hint), with the wait advised before it reconnects (ms, 0 for none).
   */
  private cutOff(reason: DisconnectReason, err: Error, reconnectAfter = 0): void {
    if (this.closed || this.failReason) return;
    this.failReason = reason;
    this._advise({ reason, message: err.message, reconnectAfter: reconnectAfter || undefined });
    for (const socket of this.socketList()) socket._onerror(err);
    this.conn.close();
  }

  /** @internal */
  _onclose(reason: string, description?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (this.connectTimer) this.server._clock.clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.decoder.destroy();
    const why = (this.failReason ?? reason) as DisconnectReason;
    if (debug.enabled) debug.log("%s: connection closed: %s", this.conn.id, why);
    for (const socket of this.socketList()) socket._onclose(why, description);
    this.sockets = undefined;
  }
}

function sizeOf(chunks: ReadonlyArray<string | Uint8Array>): number {
  let size = 0;
  for (const chunk of chunks) size += typeof chunk === "string" ? chunk.length : chunk.byteLength;
  return size;
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
