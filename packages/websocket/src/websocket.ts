import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketEventTarget } from "./browser-events.js";
import { type ClientOptions, type HandshakeTarget, openClientHandshake } from "./client.js";
import { CloseCode } from "./close-codes.js";
import { CloseHandshake, type CloseTimeoutTarget, closeReasonBytes } from "./close-handshake.js";
import type { ConnectionSetup } from "./connection-setup.js";
import type { PerMessageDeflate } from "./deflate.js";
import { notOpen, WebSocketError } from "./errors.js";
import { FrameReader } from "./frame-reader.js";
import {
  type BinaryType,
  byteSize,
  deliverBinary,
  EMPTY,
  isBinaryType,
  type SendData,
  toBuffer,
} from "./message-data.js";
import { MAX_CONTROL_PAYLOAD, Opcode } from "./opcode.js";
import type { PreparedMessage } from "./prepared-message.js";
import { type SendCallback, type SendOptions, SendQueue, type SendQueueOwner } from "./send-queue.js";
import { attachSocket, type ReaderHandler, ReaderSink, type SocketHandler } from "./socket-glue.js";
import { debug } from "./debug-loggers.js";

export { DEFAULT_MAX_PAYLOAD } from "./limits.js";
export type { BinaryType, SendData } from "./message-data.js";
export type { SendCallback, SendOptions } from "./send-queue.js";

/** Default `closeTimeout`: how long to wait for the close handshake before destroying the socket. */
export const DEFAULT_CLOSE_TIMEOUT = 30_000;

/**
 * One WebSocket connection (RFC 6455), server side (from `WebSocketServer`) or client side
 * (`new WebSocket(url)`), with the API of `ws` and the browser's properties. The send queue, the
 * closing handshake, the socket glue and the browser EventTarget surface live in their own modules;
 * this class ties them to the connection's state.
 *
 * Events: `open`, `message(data, isBinary)`, `ping(payload)`, `pong(payload)`, `close(code, reason)`,
 * `error(err)` (only emitted when someone listens: a protocol violation never throws into the process),
 * `drain` (the socket's write buffer emptied after a write returned false), `upgrade(res)` and
 * `unexpected-response(req, res)` (client).
 */
export class WebSocket
  extends WebSocketEventTarget
  implements SocketHandler, ReaderHandler, SendQueueOwner, CloseTimeoutTarget, HandshakeTarget
{
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  private state = 0;
  private binaryTypeValue: BinaryType = "nodebuffer";
  private protocolValue = "";
  private extensionsValue = "";
  private urlValue: string;

  private socket: Duplex | null = null;
  private reader: FrameReader | null = null;
  private sender: SendQueue | null = null;
  private isServer = false;
  private autoPong = true;
  private closeTimeout = DEFAULT_CLOSE_TIMEOUT;
  private readonly closing = new CloseHandshake();
  private deflate: PerMessageDeflate | null = null;
  private abortHandshake: ((error: WebSocketError) => void) | null = null;
  /** `pause()` was called: the socket stays paused until `resume()`. */
  private userPaused = false;
  /** The frame reader asked for a pause (`maxUnparsedBytes`) and has not drained yet. */
  private readerPaused = false;
  /** Bytes passed to `send` after closing on a connection that never had a socket (as `ws` counts them). */
  private bytesAfterClose = 0;
  /** The set (a server's `clients`) this connection leaves when it closes. */
  private trackedIn: Set<WebSocket> | null = null;
  /** The layer above, called before the listeners (see {@link attachHandler}). */
  private upperLayer: WebSocketHandler | null = null;

  /**
   * Opens a client connection (`ws:`/`wss:` URL). `protocols` lists the subprotocols to offer.
   * Throws a `WebSocketError` (`INVALID_ARGUMENT`) for a bad URL or subprotocol list; connection
   * failures arrive as `error` then `close` (1006).
   */
  constructor(address: string | URL, protocols?: string | string[] | ClientOptions, options?: ClientOptions);
  /** @internal Server side: `WebSocketServer` creates connections with a null address. */
  constructor(address: null);
  constructor(
    address: string | URL | null,
    protocols?: string | string[] | ClientOptions,
    options?: ClientOptions,
  ) {
    super();
    if (address === null) {
      this.urlValue = "";
      return;
    }
    if (protocols !== undefined && typeof protocols === "object" && !Array.isArray(protocols)) {
      options = protocols;
      protocols = undefined;
    }
    const handshake = openClientHandshake(this, address, protocols ?? [], options ?? {});
    this.urlValue = handshake.url;
    this.abortHandshake = handshake.abort;
  }

  /** `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3). */
  get readyState(): number {
    return this.state;
  }

  /** The URL this client connected to; empty on the server side. */
  get url(): string {
    return this.urlValue;
  }

  /** The subprotocol the server selected, or "". */
  get protocol(): string {
    return this.protocolValue;
  }

  /** The negotiated `Sec-WebSocket-Extensions` value, or "". */
  get extensions(): string {
    return this.extensionsValue;
  }

  /** Whether this is the server end of the connection. */
  get isServerSide(): boolean {
    return this.isServer;
  }

  /** Bytes accepted by `send` and friends but not yet handed to the kernel. */
  get bufferedAmount(): number {
    if (this.socket === null) return this.bytesAfterClose;
    return (this.sender?.bufferedBytes ?? 0) + this.socket.writableLength;
  }

  /** Whether `pause()` holds incoming data back. */
  get isPaused(): boolean {
    return this.userPaused;
  }

  /** Stops reading from the socket (no `message` events from new data) until `resume()`; no-op unless open or closing. */
  pause(): void {
    if (this.socket === null || this.state === WebSocket.CLOSED) return;
    this.userPaused = true;
    this.socket.pause();
  }

  /** Undoes `pause()` (reading stays paused while the parser is catching up on `maxUnparsedBytes`). */
  resume(): void {
    if (this.socket === null || this.state === WebSocket.CLOSED) return;
    this.userPaused = false;
    if (!this.readerPaused) this.socket.resume();
  }

  /** How binary messages are delivered: "nodebuffer" (default), "arraybuffer", "fragments" or "blob". */
  get binaryType(): BinaryType {
    return this.binaryTypeValue;
  }

  set binaryType(type: BinaryType) {
    if (isBinaryType(type)) this.binaryTypeValue = type;
  }

  // ---------------------------------------------------------------- sending

  /**
   * Sends a message: a string as a text frame, binary data as a binary frame (`options.binary`
   * overrides). Throws `NOT_OPEN` while connecting; after closing, `cb` gets a `NOT_OPEN` error and
   * nothing is sent. `cb` runs once the data is written to the socket.
   */
  send(data: SendData, options?: SendOptions | SendCallback, cb?: SendCallback): void {
    if (typeof options === "function") {
      cb = options;
      options = undefined;
    }
    if (this.state !== WebSocket.OPEN || this.sender === null) this.rejectSend(cb, data);
    else this.sender.sendMessage(data, options, cb);
  }

  /**
   * Writes a message framed once by `prepareMessage` (broadcasts). Server side the frame bytes are
   * written as they are (deflated once for all, when prepared with `compress` and this connection
   * negotiated server_no_context_takeover); a client, which must mask, frames the prepared payload itself.
   */
  sendPrepared(prepared: PreparedMessage, cb?: SendCallback): void {
    if (this.state !== WebSocket.OPEN || this.sender === null) this.rejectSend(cb);
    else this.sender.sendPrepared(prepared, cb);
  }

  /** Sends a ping (payload ≤ 125 bytes). A `mask` boolean argument is accepted for `ws` compatibility. */
  ping(data?: SendData, mask?: boolean | SendCallback, cb?: SendCallback): void {
    this.sendControl(Opcode.Ping, data, typeof mask === "function" ? mask : cb);
  }

  /** Sends an unsolicited pong (payload ≤ 125 bytes). */
  pong(data?: SendData, mask?: boolean | SendCallback, cb?: SendCallback): void {
    this.sendControl(Opcode.Pong, data, typeof mask === "function" ? mask : cb);
  }

  private sendControl(opcode: Opcode, data: SendData | undefined, cb: SendCallback | undefined): void {
    const payload = data === undefined ? EMPTY : toBuffer(data);
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      throw new WebSocketError(
        "INVALID_ARGUMENT",
        `control frame payload exceeds ${MAX_CONTROL_PAYLOAD} bytes`,
      );
    }
    if (this.state !== WebSocket.OPEN || this.sender === null) {
      this.rejectSend(cb, payload);
      return;
    }
    this.sender.sendControl(opcode, payload, cb);
  }

  private rejectSend(cb: SendCallback | undefined, data?: SendData): void {
    if (this.state === WebSocket.CONNECTING) throw notOpen(this.state);
    if (this.socket === null && data !== undefined) this.bytesAfterClose += byteSize(data);
    if (cb !== undefined) process.nextTick(cb, notOpen(this.state));
  }

  /** @internal For the send queue: a write the socket can no longer take. */
  notWritableError(): WebSocketError {
    return notOpen(this.state);
  }

  // ---------------------------------------------------------------- closing

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2) with `code` (1000, 1001–1003, 1007–1014 or
   * 3000–4999) and a reason of at most 123 bytes; the socket is destroyed if the peer does not
   * complete it within `closeTimeout`. Frames queued before (even a message still being compressed)
   * are written before the close frame. Throws `INVALID_ARGUMENT` for a code or reason that cannot be sent.
   */
  close(code?: number, reason?: string | Buffer): void {
    const reasonBytes = closeReasonBytes(code, reason);
    if (this.state === WebSocket.CLOSED) return;
    // Never opened (connecting, or a failed handshake about to report `close`): nothing to close
    // and nothing to time.
    if (this.socket === null || this.sender === null) {
      this.abortConnecting();
      return;
    }
    const status = code ?? (reasonBytes.length > 0 ? CloseCode.Normal : undefined);
    if (!this.closing.start(this.sender, status, reasonBytes)) return;
    this.state = WebSocket.CLOSING;
    this.startCloseTimer();
  }

  /** Destroys the socket at once, without a closing handshake. */
  terminate(): void {
    if (this.state === WebSocket.CLOSED) return;
    if (this.socket === null) {
      this.abortConnecting();
      return;
    }
    this.state = WebSocket.CLOSING;
    this.socket.destroy();
  }

  /** close()/terminate() before the connection opened: abort the handshake, if still running. */
  private abortConnecting(): void {
    const abort = this.abortHandshake;
    if (abort === null) return;
    this.abortHandshake = null;
    abort(new WebSocketError("NOT_OPEN", "WebSocket was closed before the connection was established"));
  }

  /**
   * Arms the close timeout, only while a live socket can still report `close` (which clears it):
   * a socket that never opened or is already destroyed gets no timer, so nothing is left pending.
   */
  private startCloseTimer(): void {
    const socket = this.socket;
    if (this.state === WebSocket.CLOSED || socket === null || socket.destroyed) return;
    this.closing.startTimer(this.closeTimeout, this);
  }

  /** @internal The peer did not complete the closing handshake in time. */
  onCloseTimeout(): void {
    this.socket?.destroy();
  }

  // ---------------------------------------------------------------- the socket and the reader

  /** @internal Takes over an upgraded socket; called by the server and by the client handshake. */
  setSocket(socket: Duplex, head: Buffer, setup: ConnectionSetup): void {
    this.socket = socket;
    this.isServer = setup.isServer;
    this.autoPong = setup.autoPong;
    this.closeTimeout = setup.closeTimeout;
    this.protocolValue = setup.protocol;
    this.extensionsValue = setup.extensions;
    this.deflate = setup.deflate;
    this.sender = new SendQueue(socket, this, !setup.isServer, setup.deflate, setup.generateMask ?? null);
    this.reader = new FrameReader(new ReaderSink(this), {
      isServer: setup.isServer,
      maxPayload: setup.maxPayload,
      maxFragments: setup.maxFragments,
      maxUnparsedBytes: setup.maxUnparsedBytes,
      inflater: setup.deflate,
    });
    const net = socket as Duplex & { setNoDelay?(noDelay: boolean): void; setTimeout?(ms: number): void };
    net.setTimeout?.(0);
    net.setNoDelay?.(true);
    // Bytes after the handshake belong to the first frames; delivered after the caller has attached listeners.
    if (head.length > 0) socket.unshift(head);
    attachSocket(socket, this);
    if (socket.isPaused()) socket.resume();
    this.state = WebSocket.OPEN;
  }

  /** @internal The server's `clients` set, which this connection leaves when it closes. */
  trackIn(clients: Set<WebSocket>): void {
    clients.add(this);
    this.trackedIn = clients;
  }

  /**
   * Gives this connection one handler for its messages, its close and its errors, called before
   * the `message`, `close` and `error` listeners. For the layer above (the engine's websocket
   * transport): unlike listeners, it costs no listener table per connection. Replaces any earlier one.
   */
  attachHandler(handler: WebSocketHandler): void {
    this.upperLayer = handler;
  }

  /** @internal A ping from the frame reader: answered at once when `autoPong` is on. */
  onReaderPing(payload: Buffer): void {
    if (this.autoPong && this.state === WebSocket.OPEN)
      this.sender?.sendControl(Opcode.Pong, payload, undefined);
    this.emit("ping", payload);
  }

  /** @internal */
  onReaderPong(payload: Buffer): void {
    this.emit("pong", payload);
  }

  /** @internal */
  onReaderMessage(fragments: Buffer[], length: number, isBinary: boolean): void {
    // As in ws, `binaryType` shapes binary messages only: text arrives as one Buffer.
    const type = isBinary ? this.binaryTypeValue : "nodebuffer";
    const data = deliverBinary(type, fragments, length);
    this.upperLayer?.onWebSocketMessage(data as Buffer, isBinary);
    this.emit("message", data, isBinary);
  }

  /** @internal The peer's close frame. */
  onReaderClose(code: number, reason: Buffer): void {
    if (this.state === WebSocket.OPEN) this.state = WebSocket.CLOSING;
    if (this.sender !== null) this.closing.peerClosed(this.sender, code, reason);
    this.startCloseTimer();
  }

  /** @internal RFC 6455 §7.1.7: send a close frame with the error's code, stop reading, close the socket. */
  onReaderError(error: WebSocketError): void {
    if (debug.enabled) debug.log("protocol violation, closing with %d: %s", error.closeCode, error.message);
    if (this.sender !== null) this.closing.failed(this.sender, error, this.state === WebSocket.OPEN);
    this.state = WebSocket.CLOSING;
    this.startCloseTimer();
    this.emitError(error);
  }

  /** @internal The reader caught up after asking for a pause (`maxUnparsedBytes`). */
  onReaderDrain(): void {
    this.readerPaused = false;
    if (!this.userPaused) this.socket?.resume();
  }

  /** @internal */
  onSocketData(chunk: Buffer): void {
    // Back-pressure: too much input waits behind an inflation, so stop reading until it is parsed.
    if (this.reader !== null && !this.reader.write(chunk)) {
      this.readerPaused = true;
      this.socket?.pause();
    }
  }

  /** @internal */
  onSocketEnd(): void {
    if (this.state === WebSocket.OPEN) this.state = WebSocket.CLOSING;
    this.sender?.endWhenFlushed();
  }

  /** @internal */
  onSocketError(): void {
    // Network errors end the connection; `close` (1006) reports it.
    if (this.state === WebSocket.OPEN) this.state = WebSocket.CLOSING;
    this.socket?.destroy();
  }

  /** @internal */
  onSocketDrain(): void {
    this.emit("drain");
  }

  /** @internal */
  onSocketClose(): void {
    if (debug.enabled)
      debug.log("closed: code %d, reason %d bytes", this.closing.code, this.closing.reason.length);
    this.state = WebSocket.CLOSED;
    this.closing.clearTimer();
    this.reader?.stop();
    this.deflate?.close();
    this.sender?.rejectAll(notOpen(WebSocket.CLOSED));
    this.trackedIn?.delete(this);
    this.upperLayer?.onWebSocketClose(this.closing.code, this.closing.reason);
    this.emit("close", this.closing.code, this.closing.reason);
  }

  // ---------------------------------------------------------------- client handshake hooks

  /** @internal The server accepted the client handshake. */
  onHandshakeOpen(socket: Duplex, head: Buffer, setup: ConnectionSetup): void {
    this.abortHandshake = null;
    this.setSocket(socket, head, setup);
    this.emit("open");
  }

  /** @internal The client handshake follows a redirect. */
  onHandshakeRedirect(url: string): void {
    this.urlValue = url;
  }

  /** @internal The client handshake failed. */
  onHandshakeFail(error: WebSocketError): void {
    this.abortHandshake = null;
    this.state = WebSocket.CLOSING;
    // Asynchronously, as browsers do: `close()` while connecting returns before the events fire.
    process.nextTick(reportHandshakeFailure, this, error);
  }

  /** @internal */
  handshakeFailed(error: WebSocketError): void {
    this.emitError(error);
    this.state = WebSocket.CLOSED;
    this.upperLayer?.onWebSocketClose(CloseCode.Abnormal, EMPTY);
    this.emit("close", CloseCode.Abnormal, EMPTY);
  }

  /** `error` is only emitted when someone listens: a peer's misbehaviour must never crash the process. */
  private emitError(error: Error): void {
    this.upperLayer?.onWebSocketError(error);
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  /** @internal Both close frames were exchanged (the browser's `CloseEvent.wasClean`). */
  protected closedCleanly(): boolean {
    return this.closing.wasClean;
  }
}

/** What {@link WebSocket.attachHandler} calls: the `message`, `close` and `error` events, as methods. */
export interface WebSocketHandler {
  /** `data` as the `message` event gives it: a Buffer, or what `binaryType` asks for binary messages. */
  onWebSocketMessage(data: Buffer, isBinary: boolean): void;
  onWebSocketClose(code: number, reason: Buffer): void;
  onWebSocketError(error: Error): void;
}

/** The request that created a server-side connection, as `connection` gives it. */
export type UpgradeRequest = IncomingMessage;

function reportHandshakeFailure(socket: WebSocket, error: WebSocketError): void {
  socket.handshakeFailed(error);
}
