import { LazyEventEmitter } from "@volley/websocket";
import type { CloseReason } from "./errors.js";
import type { Flushable } from "./flush-queue.js";
import type { EngineCounters } from "./metrics.js";
import type { ResolvedOptions } from "./options.js";
import type { Outgoing, OutgoingPacket } from "./outgoing.js";
import { type Packet, toUint8Array } from "./parser/index.js";
import type { PreparedPacket } from "./prepared-packet.js";
import type { EngineSocket } from "./session.js";
import type { TimerList } from "./timer-list.js";
import type { Transport } from "./transports/transport.js";

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

/**
 * The layer above a session (the Socket.IO server's client), called before the `message` and `close`
 * listeners: see `EngineSocket.attachHandler`.
 */
export interface SessionHandler {
  onSessionMessage(data: MessageData): void;
  onSessionClose(reason: CloseReason, description?: unknown): void;
}

/** What a session needs from its server. */
export interface SessionHost {
  readonly options: ResolvedOptions;
  /** Sessions waiting to send their next ping (`pingInterval`). */
  readonly pingTimers: TimerList<EngineSocket>;
  /** Sessions waiting for the pong to their ping (`pingTimeout`). */
  readonly pongTimers: TimerList<EngineSocket>;
  /** Counters the session adds to (messages, bytes, upgrades, closes). */
  readonly counters: EngineCounters;
  /** Protocol 3 sessions waiting for the client's next ping (`pingInterval + pingTimeout`). */
  readonly clientPingTimers: TimerList<EngineSocket>;
  scheduleFlush(session: Flushable): void;
  /** Whether a session may flush now instead of scheduling (the flush queue's `mayRunNow`). */
  mayFlushNow(): boolean;
  onSessionClose(session: EngineSocket): void;
  /** A polling session closed with `hint` (a close hint's JSON) undelivered: its client's next poll is owed it. */
  oweCloseHint(session: EngineSocket, hint: string): void;
}

export type ReadyState = "opening" | "open" | "closing" | "closed";

/**
 * Bit of {@link SessionOutbox.flags} the outbox uses: a flush is scheduled for this turn. The other bits
 * belong to the session (one field for every boolean: idle sessions are counted in thousands).
 */
const FLUSH_SCHEDULED = 1;

/**
 * The send side of a session: packets queued during one turn of the event loop wait here and leave in one
 * write at the end of the turn (the server's flush queue calls {@link runScheduledFlush}). A session with
 * nothing queued whose transport corks per tick writes at once when the flush queue allows it (the tick's
 * cork still joins what follows into one write); `maxBufferedBytes`
 * bounds what a client that does not read may hold. What a flush writes (the close packet while closing, a
 * noop releasing a poll during an upgrade) is the session's business: {@link flush}.
 */
export abstract class SessionOutbox extends LazyEventEmitter<EngineSocketEvents> implements Flushable {
  transport: Transport;
  readyState: ReadyState = "opening";
  protected readonly host: SessionHost;
  /** Booleans as bits: {@link FLUSH_SCHEDULED} here, the session's own in `session.ts`. */
  protected flags = 0;
  /** Allocated when something is queued, handed to the transport at the flush. */
  private writeBuffer: Outgoing[] | undefined = undefined;
  private queuedBytes = 0;

  protected constructor(host: SessionHost, transport: Transport) {
    super();
    this.host = host;
    this.transport = transport;
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

  /**
   * Queues a message; everything queued in one turn of the event loop leaves in one write.
   * Ignored once the session is closing. `cb` runs when the message has been handed to the network.
   */
  send(
    data: MessageData | Uint8Array | ArrayBuffer | ArrayBufferView,
    options?: SendOptions | (() => void),
    cb?: () => void,
  ): this {
    if (this.readyState !== "open") return this;
    // engine.io's `send(data, cb)`.
    if (typeof options === "function") {
      cb = options;
      options = undefined;
    }
    // A message packet without data ("4", which decodes to no data) echoed back is sent empty, as engine.io does.
    const payload: string | Uint8Array =
      typeof data === "string" || data instanceof Uint8Array ? data : data == null ? "" : toUint8Array(data);
    const packet: OutgoingPacket = { type: "message", data: payload };
    if (options?.compress !== undefined) packet.compress = options.compress;
    if (cb !== undefined) packet.cb = cb;
    const size = typeof payload === "string" ? payload.length : payload.byteLength;
    this.host.counters.messagesSent++;
    this.host.counters.bytesSent += size;
    this.queue(packet, typeof payload === "string" ? size + 1 : size);
    return this;
  }

  /**
   * Queues a noop packet carrying `data` (`6<data>`): a hint for clients that understand it (Volley's
   * reads `{"reconnectAfter":ms}`); Engine.IO clients ignore noop packets and their payload. With
   * `closeHintReason` (`sendHint` gives it), `data` is a close hint, counted by that reason in the metrics.
   */
  sendNoop(data: string, closeHintReason?: string): this {
    if (this.readyState !== "open") return this;
    if (closeHintReason !== undefined) this.host.counters.closeHintSent(closeHintReason);
    this.queue({ type: "noop", data }, data.length + 1);
    return this;
  }

  /** Alias of {@link send}. */
  write(
    data: MessageData | Uint8Array | ArrayBuffer | ArrayBufferView,
    options?: SendOptions | (() => void),
    cb?: () => void,
  ): this {
    return this.send(data, options, cb);
  }

  /** Queues a packet encoded once for many sessions (see `EngineServer.prepare`). */
  sendPrepared(prepared: PreparedPacket): this {
    if (this.readyState !== "open") return this;
    if (this.writeBuffer === undefined) this.writeBuffer = [prepared];
    else this.writeBuffer.push(prepared);
    this.queuedBytes += prepared.byteLength;
    this.host.counters.messagesSent++;
    this.host.counters.bytesSent += prepared.byteLength;
    if (this.listenerCount("packetCreate") > 0)
      this.emit("packetCreate", { type: "message", data: prepared.data });
    this.afterQueue();
    return this;
  }

  /** @internal Called by the server's flush queue at the end of the turn. */
  runScheduledFlush(): void {
    this.flags &= ~FLUSH_SCHEDULED;
    this.flush();
  }

  /** Queues a packet of `size` bytes (as counted against the buffer limits) for the next flush. */
  protected queue(packet: OutgoingPacket, size: number): void {
    if (this.writeBuffer === undefined) this.writeBuffer = [packet];
    else this.writeBuffer.push(packet);
    this.queuedBytes += size;
    if (this.listenerCount("packetCreate") > 0) this.emit("packetCreate", packet);
    this.afterQueue();
  }

  /** True when nothing is queued. */
  protected get queueEmpty(): boolean {
    return this.writeBuffer === undefined;
  }

  /** Takes everything queued (for a write), leaving the queue empty. */
  protected takeQueued(): Outgoing[] | undefined {
    const batch = this.writeBuffer;
    this.writeBuffer = undefined;
    this.queuedBytes = 0;
    return batch;
  }

  /** Closes with "slow consumer" when the client holds more than `maxBufferedBytes`; true if it did. */
  protected closeIfOverBuffered(): boolean {
    const limit = this.host.options.maxBufferedBytes;
    if (this.queuedBytes + this.transport.bufferedAmount <= limit) return false;
    this.onClose("slow consumer", { maxBufferedBytes: limit });
    return true;
  }

  /** Writes what is queued if the transport can take it now. */
  protected abstract flush(): void;

  /** Ends the session for `reason` (no more writes). */
  protected abstract onClose(reason: CloseReason, description?: unknown): void;

  private afterQueue(): void {
    if (this.closeIfOverBuffered() || (this.flags & FLUSH_SCHEDULED) !== 0) return;
    // Nothing else queued, open, and a transport that corks per tick: written now, as the bare `ws`
    // server does, with no turn's wait; a packet queued later in this tick still joins the same write.
    if (this.readyState === "open" && this.transport.corksPerTick === true && this.host.mayFlushNow()) {
      this.flush();
      return;
    }
    this.flags |= FLUSH_SCHEDULED;
    this.host.scheduleFlush(this);
  }
}
