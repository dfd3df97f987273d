import { decodePacket, EngineParseError, encodePacket, type Packet } from "../parser/index.js";
import type { Outgoing } from "../outgoing.js";
import { PreparedPacket } from "../prepared-packet.js";
import type { Transport, TransportHandler } from "./transport.js";
import type { WebSocketLike, WebSocketSendOptions } from "./websocket-like.js";

// Shared option objects: no allocation per message.
export const TEXT: WebSocketSendOptions = { binary: false };
export const BINARY: WebSocketSendOptions = { binary: true };
const TEXT_COMPRESS: WebSocketSendOptions = { binary: false, compress: true };
const BINARY_COMPRESS: WebSocketSendOptions = { binary: true, compress: true };
const TEXT_NO_COMPRESS: WebSocketSendOptions = { binary: false, compress: false };
const BINARY_NO_COMPRESS: WebSocketSendOptions = { binary: true, compress: false };

export function sendOptions(binary: boolean, compress: boolean | undefined): WebSocketSendOptions {
  if (compress === undefined) return binary ? BINARY : TEXT;
  if (compress) return binary ? BINARY_COMPRESS : TEXT_COMPRESS;
  return binary ? BINARY_NO_COMPRESS : TEXT_NO_COMPRESS;
}

export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The websocket transport: one packet per frame, text frames for strings and binary frames for bytes
 * (a binary frame is a message packet, with no type prefix, in protocol 4).
 */
export class WebSocketTransport implements Transport {
  // On the prototype, not a field per connection.
  get name(): "websocket" {
    return "websocket";
  }

  handler!: TransportHandler;
  readonly socket: WebSocketLike;
  protected ended = false;

  constructor(socket: WebSocketLike) {
    this.socket = socket;
    if (socket.attachHandler !== undefined) {
      socket.attachHandler(this);
      return;
    }
    // Another WebSocket library (`wsEngine`): shared listeners that find their transport on the
    // socket, no closures per connection.
    (socket as unknown as Record<symbol, WebSocketTransport>)[kTransport] = this;
    socket.on("message", onSocketMessage);
    socket.on("close", onSocketClose);
    socket.on("error", onSocketError);
  }

  get writable(): boolean {
    return !this.ended;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /** Volley's WebSocket (the one with `attachHandler`) corks its writes per tick; another library may not. */
  get corksPerTick(): boolean {
    return this.socket.attachHandler !== undefined;
  }

  send(batch: Outgoing[]): void {
    const socket = this.socket;
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]!;
      if (entry instanceof PreparedPacket) {
        const frame = socket.sendPrepared !== undefined ? entry.websocketFrame() : undefined;
        if (frame !== undefined) socket.sendPrepared!(frame);
        else socket.send(entry.websocketData, typeof entry.data === "string" ? TEXT : BINARY);
        continue;
      }
      const data = encodePacket(entry, true);
      const cb = entry.cb;
      if (typeof data === "string") {
        socket.send(data, sendOptions(false, entry.compress), cb && ((err) => err || cb()));
      } else {
        const bytes = toBuffer(data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer));
        socket.send(bytes, sendOptions(true, entry.compress), cb && ((err) => err || cb()));
      }
    }
    this.handler.onTransportDrain(this);
  }

  close(force = false, code?: number, reason?: string): void {
    if (this.ended) return;
    this.ended = true;
    // A peer that stopped answering or reading would hold a graceful close behind its backlog.
    if (force) this.socket.terminate();
    else if (code !== undefined) this.socket.close(code, reason);
    else this.socket.close();
  }

  /** @internal */
  onWebSocketMessage(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    let packet: Packet;
    if (isBinary) {
      packet = { type: "message", data };
    } else {
      try {
        packet = decodePacket(data.toString("utf8"));
      } catch (err) {
        this.handler.onTransportParseError(this, err instanceof EngineParseError ? err.message : String(err));
        return;
      }
    }
    this.handler.onTransportPacket(this, packet);
  }

  /** @internal */
  onWebSocketClose(): void {
    if (this.ended) return;
    this.ended = true;
    this.handler.onTransportClose(this);
  }

  /** @internal */
  onWebSocketError(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.terminate();
    this.handler.onTransportError(this, err.message);
  }
}

const kTransport = Symbol("volley.engine.transport");

function transportOf(socket: unknown): WebSocketTransport {
  return (socket as Record<symbol, WebSocketTransport>)[kTransport]!;
}

function onSocketMessage(this: unknown, data: Buffer, isBinary: boolean): void {
  transportOf(this).onWebSocketMessage(data, isBinary);
}

function onSocketClose(this: unknown): void {
  transportOf(this).onWebSocketClose();
}

function onSocketError(this: unknown, err: Error): void {
  transportOf(this).onWebSocketError(err);
}
