import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import { type Packet, PROTOCOL_VERSION, toUint8Array } from "./parser/index.js";
import type { CloseReason } from "./errors.js";
import type { Flushable } from "./flush-queue.js";
import type { ResolvedOptions } from "./options.js";
import type { Outgoing, OutgoingPacket } from "./outgoing.js";
import type { PreparedPacket } from "./prepared-packet.js";
import type { Transport, TransportHandler } from "./transports/transport.js";

/** Data a session sends or receives: text, or bytes (Node hands back Buffers). */
export type MessageData = string | Buffer;

/** Per-send options. */
export interface SendOptions {
  /** permessage-deflate for this message (websocket transport, when negotiated). Default: the transport's. */
  compress?: boolean;
}

/** Events of an {@link EngineSocket}. */
export interface EngineSocketEvents {
  message: [data: MessageData];
  close: [reason: CloseReason, description?: unknown];
  upgrading: [transport: Transport];
  upgrade: [transport: Transport];
  drain: [];
  packet: [packet: Packet];
  packetCreate: [packet: Packet];
  heartbeat: [];
  error: [err: Error];
}

/** What a session needs from its server. */
export interface SessionHost {
  readonly options: ResolvedOptions;
  scheduleFlush(session: Flushable): void;
  onSessionClose(session: EngineSocket): void;
}

export type ReadyState = "opening" | "open" | "closing" | "closed";

const NOOP: OutgoingPacket = { type: "noop" };
const CLOSE: OutgoingPacket = { type: "close" };
const PING: OutgoingPacket = { type: "ping" };

/**
 * One Engine.IO session: its handshake request, its transport (polling, then maybe websocket), the heartbeat,
 * and the queue of packets waiting for the next write.
 */
export class EngineSocket extends EventEmitter<EngineSocketEvents> implements TransportHandler, Flushable {
  /** The session id (`sid`): 120 random bits, base64url. */
  readonly id: string;
  /** The handshake request. */
  readonly request: IncomingMessage;
  /** Engine.IO protocol revision: 4. */
  readonly protocol = PROTOCOL_VERSION;
  /** Address of the client as the handshake's TCP connection saw it. */
  readonly remoteAddress: string;
  transport: Transport;
  readyState: ReadyState = "opening";
  /** True once the session moved from polling to websocket. */
  upgraded = false;

  private readonly host: SessionHost;
  private writeBuffer: Outgoing[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  private upgradeTransport: Transport | undefined;
  private upgradeTimer: NodeJS.Timeout | undefined;
  /** Answer the next (or current) poll at once, with a noop if nothing else: the client is upgrading. */
  private releasePoll = false;
  private closeReason: CloseReason | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;

  /** @internal Sessions are created by `EngineServer`. */
  constructor(host: SessionHost, id: string, request: IncomingMessage, transport: Transport) {
    super();
    this.host = host;
    this.id = id;
    this.request = request;
    // Read now: a polling handshake's connection may be gone by the time anyone asks.
    this.remoteAddress = request.socket?.remoteAddress ?? "";
    this.transport = transport;
    transport.handler = this;
  }

  /** True while an upgrade to another transport is in progress. */
  get upgrading(): boolean {
    return this.upgradeTransport !== undefined;
  }

  /** Bytes queued for this client and not yet written to the network (text counted in UTF-16 units). */
  get bufferedBytes(): number {
    return this.queuedBytes + this.transport.bufferedAmount;
  }

  /**
   * False when a write cannot go out now (polling: no GET waiting) or the client is behind by more than
   * `writableHighWaterMark`: the layer above drops volatile packets then.
   */
  get writable(): boolean {
    return (
      this.readyState === "open" &&
      this.transport.writable &&
      this.queuedBytes + this.transport.bufferedAmount < this.host.options.writableHighWaterMark
    );
  }

  /** @internal Sends the open packet and starts the heartbeat. */
  open(upgrades: string[]): void {
    const options = this.host.options;
    this.readyState = "open";
    this.queue(
      {
        type: "open",
        data: JSON.stringify({
          sid: this.id,
          upgrades,
          pingInterval: options.pingInterval,
          pingTimeout: options.pingTimeout,
          maxPayload: options.maxHttpBufferSize,
        }),
      },
      0,
    );
    if (options.initialPacket !== undefined) this.send(options.initialPacket);
    this.heartbeatTimer = setTimeout(onHeartbeatTimer, options.pingInterval, this);
    if (options.connectTimeout !== undefined) {
      this.connectTimer = setTimeout(onConnectTimeout, options.connectTimeout, this);
    }
  }

  /**
   * Queues a message; everything queued in one turn of the event loop leaves in one write.
   * Ignored once the session is closing. `cb` runs when the message has been handed to the network.
   */
  send(
    data: MessageData | Uint8Array | ArrayBuffer | ArrayBufferView,
    options?: SendOptions,
    cb?: () => void,
  ): this {
    if (this.readyState !== "open") return this;
    const payload: string | Uint8Array =
      typeof data === "string" || data instanceof Uint8Array ? data : toUint8Array(data);
    const packet: OutgoingPacket = { type: "message", data: payload };
    if (options?.compress !== undefined) packet.compress = options.compress;
    if (cb !== undefined) packet.cb = cb;
    this.queue(packet, typeof payload === "string" ? payload.length + 1 : payload.byteLength);
    return this;
  }

  /** Alias of {@link send}. */
  write(
    data: MessageData | Uint8Array | ArrayBuffer | ArrayBufferView,
    options?: SendOptions,
    cb?: () => void,
  ): this {
    return this.send(data, options, cb);
  }

  /** Queues a packet encoded once for many sessions (see `EngineServer.prepare`). */
  sendPrepared(prepared: PreparedPacket): this {
    if (this.readyState !== "open") return this;
    this.writeBuffer.push(prepared);
    this.queuedBytes += prepared.byteLength;
    if (this.listenerCount("packetCreate") > 0)
      this.emit("packetCreate", { type: "message", data: prepared.data });
    this.afterQueue();
    return this;
  }

  /**
   * Closes the session ("forced close") after what is queued has been written. On polling the client learns
   * it at its next poll (waiting at most `closeTimeout`).
   */
  close(): this {
    this.beginClose("forced close", true);
    return this;
  }

  /** @internal Closes at once, still writing what is queued if the transport can take it now. */
  shutdown(reason: CloseReason): void {
    this.beginClose(reason, false);
  }

  /** @internal A websocket connection for this session's sid: probe it, then switch (protocol "Upgrade"). */
  maybeUpgrade(transport: Transport): void {
    if (this.readyState !== "open" || this.upgradeTransport !== undefined || this.upgraded) {
      transport.close();
      return;
    }
    this.upgradeTransport = transport;
    transport.handler = this;
    this.upgradeTimer = setTimeout(onUpgradeTimeout, this.host.options.upgradeTimeout, this);
  }

  // ---- TransportHandler ----

  /** @internal */
  onTransportPacket(transport: Transport, packet: Packet): void {
    if (transport === this.upgradeTransport) {
      this.onUpgradePacket(transport, packet);
      return;
    }
    if (transport !== this.transport || this.readyState !== "open") return;
    if (this.listenerCount("packet") > 0) this.emit("packet", packet);
    switch (packet.type) {
      case "message":
        if (this.connectTimer !== undefined) {
          clearTimeout(this.connectTimer);
          this.connectTimer = undefined;
        }
        this.emit("message", packet.data as MessageData);
        break;
      case "pong":
        if (this.awaitingPong) {
          this.awaitingPong = false;
          clearTimeout(this.heartbeatTimer);
          this.heartbeatTimer = setTimeout(onHeartbeatTimer, this.host.options.pingInterval, this);
        }
        this.emit("heartbeat");
        break;
      case "ping":
        // Protocol 4 clients do not ping; answering costs nothing and helps older tools.
        this.queue(packet.data === undefined ? { type: "pong" } : { type: "pong", data: packet.data }, 1);
        this.emit("heartbeat");
        break;
      case "close":
        this.onClose("transport close");
        break;
      default:
        // open/upgrade/noop from a client on an established transport carry nothing to act on.
        break;
    }
  }

  /** @internal */
  onTransportParseError(transport: Transport, description: string): void {
    if (transport === this.upgradeTransport) this.cancelUpgrade();
    else if (transport === this.transport) this.onClose("parse error", description);
  }

  /** @internal */
  onTransportError(transport: Transport, description: string): void {
    if (transport === this.upgradeTransport) this.cancelUpgrade();
    else if (transport === this.transport) {
      if (this.listenerCount("error") > 0) this.emit("error", new Error(description));
      this.onClose("transport error", description);
    }
  }

  /** @internal */
  onTransportClose(transport: Transport): void {
    if (transport === this.upgradeTransport) this.cancelUpgrade();
    else if (transport === this.transport) this.onClose("transport close");
  }

  /** @internal */
  onTransportWritable(transport: Transport): void {
    if (transport === this.transport) this.flush();
  }

  /** @internal */
  onTransportDrain(transport: Transport): void {
    if (transport === this.transport && this.readyState === "open") this.emit("drain");
  }

  /** @internal Called by the server's flush queue at the end of the turn. */
  runScheduledFlush(): void {
    this.flushScheduled = false;
    this.flush();
  }

  // ---- internals ----

  private queue(packet: OutgoingPacket, size: number): void {
    this.writeBuffer.push(packet);
    this.queuedBytes += size;
    if (this.listenerCount("packetCreate") > 0) this.emit("packetCreate", packet);
    this.afterQueue();
  }

  private afterQueue(): void {
    if (this.queuedBytes + this.transport.bufferedAmount > this.host.options.maxBufferedBytes) {
      this.onClose("slow consumer", { maxBufferedBytes: this.host.options.maxBufferedBytes });
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.host.scheduleFlush(this);
    }
  }

  /** Writes the queue if the transport can take it; while closing, ends with the close packet (polling). */
  private flush(): void {
    if (this.readyState === "closed") return;
    const transport = this.transport;
    const closing = this.readyState === "closing";
    if (!transport.writable || (this.writeBuffer.length === 0 && !this.releasePoll && !closing)) return;
    const batch = this.writeBuffer;
    this.writeBuffer = [];
    this.queuedBytes = 0;
    if (this.releasePoll) {
      this.releasePoll = false;
      if (batch.length === 0 && !closing) batch.push(NOOP);
    }
    const polling = transport.name === "polling";
    if (closing && polling) batch.push(CLOSE);
    transport.send(batch);
    if (closing) {
      this.onClose(this.closeReason!);
      return;
    }
    if (transport.bufferedAmount > this.host.options.maxBufferedBytes) {
      this.onClose("slow consumer", { maxBufferedBytes: this.host.options.maxBufferedBytes });
    }
  }

  private beginClose(reason: CloseReason, waitForPoll: boolean): void {
    if (this.readyState !== "open" && this.readyState !== "opening") {
      if (this.readyState === "closing" && !waitForPoll) this.onClose(reason);
      return;
    }
    this.readyState = "closing";
    this.closeReason = reason;
    this.cancelUpgrade();
    if (this.transport.writable) {
      this.flush();
      return;
    }
    if (waitForPoll) this.closeTimer = setTimeout(onCloseTimeout, this.host.options.closeTimeout, this);
    else this.onClose(reason);
  }

  private onClose(reason: CloseReason, description?: unknown): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    clearTimeout(this.heartbeatTimer);
    clearTimeout(this.closeTimer);
    clearTimeout(this.connectTimer);
    this.cancelUpgrade();
    this.transport.close(reason === "slow consumer" || reason === "ping timeout");
    this.writeBuffer = [];
    this.queuedBytes = 0;
    this.host.onSessionClose(this);
    this.emit("close", reason, description);
  }

  private onUpgradePacket(transport: Transport, packet: Packet): void {
    if (packet.type === "ping" && packet.data === "probe") {
      transport.send([{ type: "pong", data: "probe" }]);
      this.emit("upgrading", transport);
      // Release the client's waiting GET so it can pause polling and send the upgrade packet.
      this.releasePoll = true;
      this.flush();
      return;
    }
    if (packet.type === "upgrade" && this.readyState === "open") {
      clearTimeout(this.upgradeTimer);
      this.upgradeTimer = undefined;
      this.upgradeTransport = undefined;
      this.releasePoll = false;
      const previous = this.transport;
      this.transport = transport;
      this.upgraded = true;
      previous.discard?.();
      this.emit("upgrade", transport);
      // Packets queued while the client paused polling go out now, in order, on the new transport.
      this.flush();
      return;
    }
    this.cancelUpgrade();
  }

  private cancelUpgrade(): void {
    const transport = this.upgradeTransport;
    if (transport === undefined) return;
    this.upgradeTransport = undefined;
    this.releasePoll = false;
    clearTimeout(this.upgradeTimer);
    this.upgradeTimer = undefined;
    transport.close();
  }

  /** @internal Timer callbacks: module functions taking the session, so a session holds no closures. */
  onHeartbeatTimer(): void {
    if (this.awaitingPong) {
      this.onClose("ping timeout");
      return;
    }
    this.awaitingPong = true;
    this.queue(PING, 1);
    this.heartbeatTimer = setTimeout(onHeartbeatTimer, this.host.options.pingTimeout, this);
  }

  /** @internal */
  onUpgradeTimeout(): void {
    this.upgradeTimer = undefined;
    this.cancelUpgrade();
  }

  /** @internal */
  onCloseTimeout(): void {
    this.onClose(this.closeReason ?? "forced close");
  }

  /** @internal */
  onConnectTimeout(): void {
    this.connectTimer = undefined;
    this.close();
  }
}

function onHeartbeatTimer(session: EngineSocket): void {
  session.onHeartbeatTimer();
}

function onUpgradeTimeout(session: EngineSocket): void {
  session.onUpgradeTimeout();
}

function onCloseTimeout(session: EngineSocket): void {
  session.onCloseTimeout();
}

function onConnectTimeout(session: EngineSocket): void {
  session.onConnectTimeout();
}
