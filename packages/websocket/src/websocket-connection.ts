import type { Duplex } from "node:stream";
import { WebSocketEventTarget } from "./browser-events.js";
import { CloseHandshake, type CloseTimeoutTarget } from "./close-handshake.js";
import type { ConnectionSetup } from "./connection-setup.js";
import { debug } from "./debug-loggers.js";
import type { PerMessageDeflate } from "./deflate.js";
import { notOpen, type WebSocketError } from "./errors.js";
import { FrameReader } from "./frame-reader.js";
import { type BinaryType, deliverBinary, isBinaryType } from "./message-data.js";
import { Opcode } from "./opcode.js";
import { SendQueue, type SendQueueOwner } from "./send-queue.js";
import { attachSocket, type ReaderHandler, ReaderSink, type SocketHandler } from "./socket-glue.js";

/** Default `closeTimeout`: how long to wait for the close handshake before destroying the socket. */
export const DEFAULT_CLOSE_TIMEOUT = 30_000;

/** What {@link WebSocketConnection.attachHandler} calls: the `message`, `close` and `error` events, as methods. */
export interface WebSocketHandler {
  /** `data` as the `message` event gives it: a Buffer, or what `binaryType` asks for binary messages. */
  onWebSocketMessage(data: Buffer, isBinary: boolean): void;
  onWebSocketClose(code: number, reason: Buffer): void;
  onWebSocketError(error: Error): void;
}

/**
 * The receiving side of a WebSocket connection: its state, the socket it took over and the frame
 * reader on it, and what their events do (answer pings, follow the closing handshake, report
 * messages, close and errors to the layer above and to the listeners). `WebSocket` adds the
 * commands (send, ping, close) and the client handshake on top.
 */
export abstract class WebSocketConnection
  extends WebSocketEventTarget
  implements SocketHandler, ReaderHandler, SendQueueOwner, CloseTimeoutTarget
{
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  protected state = 0;
  private binaryTypeValue: BinaryType = "nodebuffer";
  private protocolValue = "";
  private extensionsValue = "";

  protected socket: Duplex | null = null;
  private reader: FrameReader | null = null;
  protected sender: SendQueue | null = null;
  private isServer = false;
  private autoPong = true;
  private closeTimeout = DEFAULT_CLOSE_TIMEOUT;
  protected readonly closing = new CloseHandshake();
  private deflate: PerMessageDeflate | null = null;
  /** `pause()` was called: the socket stays paused until `resume()`. */
  private userPaused = false;
  /** The frame reader asked for a pause (`maxUnparsedBytes`) and has not drained yet. */
  private readerPaused = false;
  /** Bytes passed to `send` after closing on a connection that never had a socket (as `ws` counts them). */
  protected bytesAfterClose = 0;
  /** The set (a server's `clients`) this connection leaves when it closes. */
  private trackedIn: Set<WebSocketConnection> | null = null;
  /** The layer above, called before the listeners (see {@link attachHandler}). */
  private upperLayer: WebSocketHandler | null = null;

  /** `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3). */
  get readyState(): number {
    return this.state;
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
    if (this.socket === null || this.state === WebSocketConnection.CLOSED) return;
    this.userPaused = true;
    this.socket.pause();
  }

  /** Undoes `pause()` (reading stays paused while the parser is catching up on `maxUnparsedBytes`). */
  resume(): void {
    if (this.socket === null || this.state === WebSocketConnection.CLOSED) return;
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

  /**
   * Gives this connection one handler for its messages, its close and its errors, called before
   * the `message`, `close` and `error` listeners. For the layer above (the engine's websocket
   * transport): unlike listeners, it costs no listener table per connection. Replaces any earlier one.
   */
  attachHandler(handler: WebSocketHandler): void {
    this.upperLayer = handler;
  }

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
    this.state = WebSocketConnection.OPEN;
  }

  /** @internal The server's `clients` set, which this connection leaves when it closes. */
  trackIn(clients: Set<WebSocketConnection>): void {
    clients.add(this);
    this.trackedIn = clients;
  }

  /** @internal For the send queue: a write the socket can no longer take. */
  notWritableError(): WebSocketError {
    return notOpen(this.state);
  }

  /**
   * Arms the close timeout, only while a live socket can still report `close` (which clears it):
   * a socket that never opened or is already destroyed gets no timer, so nothing is left pending.
   */
  protected startCloseTimer(): void {
    const socket = this.socket;
    if (this.state === WebSocketConnection.CLOSED || socket === null || socket.destroyed) return;
    this.closing.startTimer(this.closeTimeout, this);
  }

  /** @internal The peer did not complete the closing handshake in time. */
  onCloseTimeout(): void {
    this.socket?.destroy();
  }

  // ---------------------------------------------------------------- what the frame reader parsed

  /** @internal A ping from the frame reader: answered at once when `autoPong` is on. */
  onReaderPing(payload: Buffer): void {
    if (this.autoPong && this.state === WebSocketConnection.OPEN)
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
    if (this.state === WebSocketConnection.OPEN) this.state = WebSocketConnection.CLOSING;
    if (this.sender !== null) this.closing.peerClosed(this.sender, code, reason);
    this.startCloseTimer();
  }

  /** @internal RFC 6455 §7.1.7: send a close frame with the error's code, stop reading, close the socket. */
  onReaderError(error: WebSocketError): void {
    if (debug.enabled) debug.log("protocol violation, closing with %d: %s", error.closeCode, error.message);
    if (this.sender !== null)
      this.closing.failed(this.sender, error, this.state === WebSocketConnection.OPEN);
    this.state = WebSocketConnection.CLOSING;
    this.startCloseTimer();
    this.emitError(error);
  }

  /** @internal The reader caught up after asking for a pause (`maxUnparsedBytes`). */
  onReaderDrain(): void {
    this.readerPaused = false;
    if (!this.userPaused) this.socket?.resume();
  }

  // ---------------------------------------------------------------- the socket's events

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
    if (this.state === WebSocketConnection.OPEN) this.state = WebSocketConnection.CLOSING;
    this.sender?.endWhenFlushed();
  }

  /** @internal */
  onSocketError(): void {
    // Network errors end the connection; `close` (1006) reports it.
    if (this.state === WebSocketConnection.OPEN) this.state = WebSocketConnection.CLOSING;
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
    this.state = WebSocketConnection.CLOSED;
    this.closing.clearTimer();
    this.reader?.stop();
    this.deflate?.close();
    this.sender?.rejectAll(notOpen(WebSocketConnection.CLOSED));
    this.trackedIn?.delete(this);
    this.upperLayer?.onWebSocketClose(this.closing.code, this.closing.reason);
    this.emit("close", this.closing.code, this.closing.reason);
  }

  /** Marks the connection closed and reports `close` when no socket will (a failed client handshake). */
  protected reportClosed(code: number, reason: Buffer): void {
    this.state = WebSocketConnection.CLOSED;
    this.upperLayer?.onWebSocketClose(code, reason);
    this.emit("close", code, reason);
  }

  /** `error` is only emitted when someone listens: a peer's misbehaviour must never crash the process. */
  protected emitError(error: Error): void {
    this.upperLayer?.onWebSocketError(error);
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  /** @internal Both close frames were exchanged (the browser's `CloseEvent.wasClean`). */
  protected closedCleanly(): boolean {
    return this.closing.wasClean;
  }
}
