import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type ClientOptions, openClientHandshake } from "./client.js";
import { CloseCode, isValidCloseCode } from "./close-codes.js";
import type { PerMessageDeflate } from "./deflate.js";
import { WebSocketError } from "./errors.js";
import { CloseEvent, ErrorEvent, type EventListenerLike, MessageEvent, WebSocketEvent } from "./events.js";
import { FrameReader, type FrameReaderSink } from "./frame-reader.js";
import { encodeFrame } from "./frame-writer.js";
import { MAX_CONTROL_PAYLOAD, Opcode } from "./opcode.js";
import type { PreparedMessage } from "./prepared-message.js";

export { DEFAULT_MAX_PAYLOAD } from "./limits.js";

/** Default `closeTimeout`: how long to wait for the close handshake before destroying the socket. */
export const DEFAULT_CLOSE_TIMEOUT = 30_000;

/** How received binary data is handed to listeners. */
export type BinaryType = "nodebuffer" | "arraybuffer" | "fragments";

/** What `send` accepts: strings go as text, everything else as binary unless `binary` says otherwise. */
export type SendData = string | Buffer | Uint8Array | ArrayBuffer | ArrayBufferView;

export interface SendOptions {
  /** Send as a binary frame (true) or a text frame (false). Default: false for strings, true otherwise. */
  binary?: boolean;
  /** Compress when permessage-deflate was negotiated and the message reaches the threshold. Default true. */
  compress?: boolean;
  /**
   * False sends this data as a fragment of a message continued by the next `send` calls, the last of
   * which has `fin: true` (RFC 6455 §5.4). Fragmented messages are sent uncompressed. Default true.
   */
  fin?: boolean;
}

export type SendCallback = (error?: Error) => void;
/** `Writable.write`'s callback type; ours is called the same way. */
type WriteCallback = ((error: Error | null | undefined) => void) | undefined;

/** Settings a connection is set up with, on either side. */
export interface ConnectionSetup {
  isServer: boolean;
  maxPayload: number;
  maxFragments: number;
  maxUnparsedBytes: number;
  closeTimeout: number;
  autoPong: boolean;
  protocol: string;
  extensions: string;
  deflate: PerMessageDeflate | null;
}

const EMPTY: Buffer = Buffer.alloc(0);

/** A send waiting behind a message that is being compressed, so that frames keep their order. */
interface QueuedFrame {
  opcode: Opcode;
  data: Buffer;
  compress: boolean;
  frames: Buffer[] | null;
  callback: SendCallback | undefined;
  fin: boolean;
}

function toBuffer(data: SendData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new WebSocketError(
    "INVALID_ARGUMENT",
    "data must be a string, Buffer, ArrayBuffer or ArrayBufferView",
  );
}

function notOpen(state: number): WebSocketError {
  return new WebSocketError(
    "NOT_OPEN",
    `WebSocket is not open: readyState ${state} (${READY_STATES[state]})`,
    CloseCode.Abnormal,
  );
}

const READY_STATES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"] as const;

/**
 * One WebSocket connection (RFC 6455), server side (from `WebSocketServer`) or client side
 * (`new WebSocket(url)`), with the API of `ws` and the browser's properties.
 *
 * Events: `open`, `message(data, isBinary)`, `ping(payload)`, `pong(payload)`, `close(code, reason)`,
 * `error(err)` (only emitted when someone listens: a protocol violation never throws into the process),
 * `drain` (the socket's write buffer emptied after a write returned false), `upgrade(res)` and
 * `unexpected-response(req, res)` (client).
 */
export class WebSocket extends EventEmitter {
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
  private readonly urlValue: string;

  private socket: Duplex | null = null;
  private reader: FrameReader | null = null;
  private deflate: PerMessageDeflate | null = null;
  private isServer = false;
  private autoPong = true;
  private closeTimeout = DEFAULT_CLOSE_TIMEOUT;
  private closeTimer: NodeJS.Timeout | null = null;
  private closeFrameSent = false;
  private closeFrameReceived = false;
  private closeCode: number = CloseCode.Abnormal;
  private closeReason: Buffer = EMPTY;

  private corked = false;
  /** A fragmented send is in progress: the next data frames are continuations. */
  private fragmenting = false;
  private compressing = false;
  private queue: QueuedFrame[] = [];
  private queuedBytes = 0;
  private abortHandshake: ((error: WebSocketError) => void) | null = null;
  // Created on first use: most server-side connections never need them.
  private browserListeners: Map<string, Map<unknown, (...args: unknown[]) => void>> | null = null;
  private handlers: Map<string, unknown> | null = null;
  /** @internal The server's `clients` set this connection leaves when it closes. */
  _trackedIn: Set<WebSocket> | null = null;

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
    const handshake = openClientHandshake(this.handshakeTarget(), address, protocols ?? [], options ?? {});
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
    return this.queuedBytes + (this.socket === null ? 0 : this.socket.writableLength);
  }

  /** How binary messages are delivered: "nodebuffer" (default), "arraybuffer" or "fragments". */
  get binaryType(): BinaryType {
    return this.binaryTypeValue;
  }

  set binaryType(type: BinaryType) {
    if (type === "nodebuffer" || type === "arraybuffer" || type === "fragments") this.binaryTypeValue = type;
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
    if (this.state !== WebSocket.OPEN) {
      this.rejectSend(cb);
      return;
    }
    let opcode: Opcode = typeof data === "string" ? Opcode.Text : Opcode.Binary;
    if (options?.binary !== undefined) opcode = options.binary ? Opcode.Binary : Opcode.Text;
    const payload = typeof data === "string" ? Buffer.from(data) : toBuffer(data);
    const fin = options?.fin !== false;
    if (!fin || this.fragmenting) {
      if (this.fragmenting) opcode = Opcode.Continuation;
      this.fragmenting = !fin;
      if (this.compressing) this.enqueue(opcode, payload, false, null, cb, fin);
      else this.writeFrame(opcode, payload, false, cb, fin);
      return;
    }
    const deflate = this.deflate;
    const compress =
      deflate !== null &&
      options?.compress !== false &&
      deflate.canCompress &&
      payload.length >= deflate.threshold;
    if (compress || this.compressing) this.enqueue(opcode, payload, compress, null, cb);
    else this.writeFrame(opcode, payload, false, cb);
  }

  /**
   * Writes a message framed once by `prepareMessage` (broadcasts). Server side the frame bytes are
   * written as they are; a client, which must mask, frames the prepared payload itself.
   */
  sendPrepared(prepared: PreparedMessage, cb?: SendCallback): void {
    if (this.state !== WebSocket.OPEN) {
      this.rejectSend(cb);
      return;
    }
    const opcode = prepared.binary ? Opcode.Binary : Opcode.Text;
    if (!this.isServer) this.writeFrame(opcode, prepared.payload, false, cb);
    else if (this.compressing) this.enqueue(opcode, prepared.payload, false, prepared.frames, cb);
    else this.writeFrames(prepared.frames, cb);
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
    const payload =
      data === undefined ? EMPTY : typeof data === "string" ? Buffer.from(data) : toBuffer(data);
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      throw new WebSocketError(
        "INVALID_ARGUMENT",
        `control frame payload exceeds ${MAX_CONTROL_PAYLOAD} bytes`,
      );
    }
    if (this.state !== WebSocket.OPEN) {
      this.rejectSend(cb);
      return;
    }
    if (this.compressing) this.enqueue(opcode, payload, false, null, cb);
    else this.writeFrame(opcode, payload, false, cb);
  }

  private rejectSend(cb: SendCallback | undefined): void {
    if (this.state === WebSocket.CONNECTING) throw notOpen(this.state);
    if (cb !== undefined) process.nextTick(cb, notOpen(this.state));
  }

  /** Frames queued in one tick leave in one socket write: cork now, uncork on the next tick. */
  private cork(socket: Duplex): void {
    if (this.corked) return;
    this.corked = true;
    socket.cork();
    process.nextTick(uncorkSocket, this);
  }

  /** @internal */
  _uncork(): void {
    this.corked = false;
    this.socket?.uncork();
  }

  private writeFrame(
    opcode: Opcode,
    payload: Buffer,
    rsv1: boolean,
    cb: SendCallback | undefined,
    fin = true,
  ): void {
    const socket = this.socket;
    if (socket === null || socket.destroyed || !socket.writable) {
      if (cb !== undefined) process.nextTick(cb, notOpen(this.state));
      return;
    }
    this.cork(socket);
    const frame = encodeFrame(opcode, payload, fin, rsv1, !this.isServer);
    if (Array.isArray(frame)) {
      socket.write(frame[0]);
      socket.write(frame[1], cb as WriteCallback);
    } else socket.write(frame, cb as WriteCallback);
  }

  private writeFrames(frames: Buffer[], cb: SendCallback | undefined): void {
    const socket = this.socket;
    if (socket === null || socket.destroyed || !socket.writable) {
      if (cb !== undefined) process.nextTick(cb, notOpen(this.state));
      return;
    }
    this.cork(socket);
    const last = frames.length - 1;
    for (let i = 0; i < last; i++) socket.write(frames[i]);
    socket.write(frames[last], cb as WriteCallback);
  }

  private enqueue(
    opcode: Opcode,
    data: Buffer,
    compress: boolean,
    frames: Buffer[] | null,
    callback: SendCallback | undefined,
    fin = true,
  ): void {
    this.queue.push({ opcode, data, compress, frames, callback, fin });
    this.queuedBytes += data.length;
    if (!this.compressing) this.flushQueue();
  }

  /** Writes queued frames in order until one needs compressing, then waits for zlib. */
  private flushQueue(): void {
    while (this.queue.length > 0) {
      const item = this.queue[0]!;
      if (item.compress && this.deflate !== null) {
        this.compressing = true;
        this.deflate.compress(item.data, this.onCompressed);
        return;
      }
      this.queue.shift();
      this.queuedBytes -= item.data.length;
      if (item.frames !== null) this.writeFrames(item.frames, item.callback);
      else this.writeFrame(item.opcode, item.data, false, item.callback, item.fin);
    }
  }

  private onCompressed(_error: WebSocketError | null, compressed: Buffer | null): void {
    this.compressing = false;
    const item = this.queue.shift();
    if (item === undefined) return;
    this.queuedBytes -= item.data.length;
    // A failed compression (null) still delivers the message, uncompressed.
    if (compressed === null) this.writeFrame(item.opcode, item.data, false, item.callback);
    else this.writeFrame(item.opcode, compressed, true, item.callback);
    this.flushQueue();
  }

  // ---------------------------------------------------------------- closing

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2) with `code` (1000, 1001–1003, 1007–1014 or
   * 3000–4999) and a reason of at most 123 bytes; the socket is destroyed if the peer does not
   * complete it within `closeTimeout`. Throws `INVALID_ARGUMENT` for a code or reason that cannot be sent.
   */
  close(code?: number, reason?: string | Buffer): void {
    if (code !== undefined && !isValidCloseCode(code)) {
      throw new WebSocketError("INVALID_ARGUMENT", `invalid close code ${code}`);
    }
    const reasonBytes =
      reason === undefined ? EMPTY : typeof reason === "string" ? Buffer.from(reason) : reason;
    if (reasonBytes.length > MAX_CONTROL_PAYLOAD - 2) {
      throw new WebSocketError("INVALID_ARGUMENT", `close reason exceeds ${MAX_CONTROL_PAYLOAD - 2} bytes`);
    }
    if (this.state === WebSocket.CLOSED) return;
    // Never opened (connecting, or a failed handshake about to report `close`): nothing to close
    // and nothing to time.
    if (this.socket === null) {
      this.abortConnecting();
      return;
    }
    if (this.closeFrameSent) {
      if (this.closeFrameReceived) this.socket?.end();
      return;
    }
    this.state = WebSocket.CLOSING;
    this.sendCloseFrame(code ?? (reasonBytes.length > 0 ? CloseCode.Normal : undefined), reasonBytes);
    if (this.closeFrameReceived) this.socket?.end();
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

  private sendCloseFrame(code: number | undefined, reason: Buffer): void {
    this.closeFrameSent = true;
    let payload = EMPTY;
    if (code !== undefined) {
      payload = Buffer.allocUnsafe(2 + reason.length);
      payload.writeUInt16BE(code, 0);
      reason.copy(payload, 2);
    }
    if (this.compressing) this.enqueue(Opcode.Close, payload, false, null, undefined);
    else this.writeFrame(Opcode.Close, payload, false, undefined);
  }

  /**
   * Arms the close timeout, only while a live socket can still report `close` (which clears it):
   * a socket that never opened or is already destroyed gets no timer, so nothing is left pending.
   */
  private startCloseTimer(): void {
    const socket = this.socket;
    if (this.closeTimer !== null || this.state === WebSocket.CLOSED || socket === null || socket.destroyed)
      return;
    this.closeTimer = setTimeout(closeTimedOut, this.closeTimeout, this);
    // The socket itself keeps the process alive while it is open; the timer must not outlive it.
    this.closeTimer.unref();
  }

  /** @internal */
  _onCloseTimeout(): void {
    this.closeTimer = null;
    this.socket?.destroy();
  }

  // ---------------------------------------------------------------- receiving

  /** @internal Takes over an upgraded socket; called by the server and by the client handshake. */
  setSocket(socket: Duplex, head: Buffer, setup: ConnectionSetup): void {
    this.socket = socket;
    this.isServer = setup.isServer;
    this.autoPong = setup.autoPong;
    this.closeTimeout = setup.closeTimeout;
    this.protocolValue = setup.protocol;
    this.extensionsValue = setup.extensions;
    this.deflate = setup.deflate;
    // Bound only with permessage-deflate: zlib calls back without a receiver.
    if (setup.deflate !== null) this.onCompressed = this.onCompressed.bind(this);
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
    // Shared listeners find their WebSocket on the socket: no per-connection bound functions.
    (socket as OwnedSocket)[kWebSocket] = this;
    socket.on("data", socketData);
    socket.on("end", socketEnd);
    socket.on("close", socketClose);
    socket.on("error", socketError);
    socket.on("drain", socketDrain);
    if (socket.isPaused()) socket.resume();
    this.state = WebSocket.OPEN;
  }

  /** @internal A ping from the frame reader: answered at once when `autoPong` is on. */
  _receivePing(payload: Buffer): void {
    if (this.autoPong && this.state === WebSocket.OPEN)
      this.writeFrame(Opcode.Pong, payload, false, undefined);
    this.emit("ping", payload);
  }

  /** @internal */
  _receiveMessage(fragments: Buffer[], length: number, isBinary: boolean): void {
    const type = this.binaryTypeValue;
    if (type === "fragments") {
      this.emit("message", fragments.slice(), isBinary);
      return;
    }
    const data = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments, length);
    if (type === "nodebuffer") this.emit("message", data, isBinary);
    else this.emit("message", toArrayBuffer(data), isBinary);
  }

  /** @internal */
  _receiveClose(code: number, reason: Buffer): void {
    this.closeFrameReceived = true;
    this.closeCode = code;
    this.closeReason = reason;
    if (!this.closeFrameSent) {
      this.state = WebSocket.CLOSING;
      // RFC 6455 §5.5.1: echo the status code (and, as ws does, the reason).
      this.sendCloseFrame(code === CloseCode.NoStatus ? undefined : code, reason);
    }
    // RFC 6455 §7.1.1: both close frames exchanged, the TCP connection may go (the server first).
    this.socket?.end();
    this.startCloseTimer();
  }

  /** RFC 6455 §7.1.7: send a close frame with the error's code, stop reading, close the socket. */
  /** @internal */
  _failConnection(error: WebSocketError): void {
    if (!this.closeFrameSent && this.state === WebSocket.OPEN) {
      const reason = Buffer.from(error.message.slice(0, MAX_CONTROL_PAYLOAD - 2));
      this.sendCloseFrame(error.closeCode, reason.length <= MAX_CONTROL_PAYLOAD - 2 ? reason : EMPTY);
    }
    this.state = WebSocket.CLOSING;
    this.closeCode = CloseCode.Abnormal;
    this.socket?.end();
    this.startCloseTimer();
    this.emitError(error);
  }

  /** @internal */
  _onSocketData(chunk: Buffer): void {
    // Back-pressure: too much input waits behind an inflation, so stop reading until it is parsed.
    if (this.reader !== null && !this.reader.write(chunk)) this.socket?.pause();
  }

  /** @internal The reader caught up after asking for a pause. */
  _onReaderDrain(): void {
    this.socket?.resume();
  }

  /** @internal */
  _onSocketEnd(): void {
    if (this.state === WebSocket.OPEN) this.state = WebSocket.CLOSING;
    this.socket?.end();
  }

  /** @internal */
  _onSocketError(): void {
    // Network errors end the connection; `close` (1006) reports it.
    if (this.state === WebSocket.OPEN) this.state = WebSocket.CLOSING;
    this.socket?.destroy();
  }

  /** @internal */
  _onSocketDrain(): void {
    this.emit("drain");
  }

  /** @internal */
  _onSocketClose(): void {
    this.state = WebSocket.CLOSED;
    if (this.closeTimer !== null) {
      clearTimeout(this.closeTimer);
      this.closeTimer = null;
    }
    this.reader?.stop();
    this.deflate?.close();
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.compressing = false;
    for (const item of queue) if (item.callback !== undefined) item.callback(notOpen(WebSocket.CLOSED));
    this._trackedIn?.delete(this);
    const code = this.closeFrameReceived ? this.closeCode : CloseCode.Abnormal;
    this.emit("close", code, this.closeReason);
  }

  // ---------------------------------------------------------------- client handshake hooks

  private handshakeTarget() {
    return {
      emitter: this as EventEmitter,
      open: (socket: Duplex, head: Buffer, setup: ConnectionSetup) => {
        this.abortHandshake = null;
        this.setSocket(socket, head, setup);
        this.emit("open");
      },
      fail: (error: WebSocketError) => {
        this.abortHandshake = null;
        this.state = WebSocket.CLOSING;
        // Asynchronously, as browsers do: `close()` while connecting returns before the events fire.
        process.nextTick(() => {
          this.emitError(error);
          this.state = WebSocket.CLOSED;
          this.emit("close", CloseCode.Abnormal, EMPTY);
        });
      },
    };
  }

  /** `error` is only emitted when someone listens: a peer's misbehaviour must never crash the process. */
  private emitError(error: Error): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  // ---------------------------------------------------------------- browser-style API

  /** Browser-style `open` handler. */
  get onopen(): ((event: WebSocketEvent) => void) | null {
    return this.getHandler("open") as ((event: WebSocketEvent) => void) | null;
  }
  set onopen(handler: ((event: WebSocketEvent) => void) | null) {
    this.setHandler("open", handler);
  }
  /** Browser-style `message` handler: `event.data` is a string for text. */
  get onmessage(): ((event: MessageEvent) => void) | null {
    return this.getHandler("message") as ((event: MessageEvent) => void) | null;
  }
  set onmessage(handler: ((event: MessageEvent) => void) | null) {
    this.setHandler("message", handler);
  }
  /** Browser-style `close` handler: `{ code, reason, wasClean }`. */
  get onclose(): ((event: CloseEvent) => void) | null {
    return this.getHandler("close") as ((event: CloseEvent) => void) | null;
  }
  set onclose(handler: ((event: CloseEvent) => void) | null) {
    this.setHandler("close", handler);
  }
  /** Browser-style `error` handler: `{ error, message }`. */
  get onerror(): ((event: ErrorEvent) => void) | null {
    return this.getHandler("error") as ((event: ErrorEvent) => void) | null;
  }
  set onerror(handler: ((event: ErrorEvent) => void) | null) {
    this.setHandler("error", handler);
  }

  private getHandler(type: string): unknown {
    return this.handlers?.get(type) ?? null;
  }

  private setHandler(type: string, handler: unknown): void {
    this.handlers ??= new Map();
    const previous = this.handlers.get(type);
    if (previous !== undefined) this.removeEventListener(type, previous as EventListenerLike<WebSocketEvent>);
    this.handlers.delete(type);
    if (typeof handler === "function") {
      this.handlers.set(type, handler);
      this.addEventListener(type, handler as EventListenerLike<WebSocketEvent>);
    }
  }

  /** Browser-style listener registration for `open`, `message`, `close` and `error`. */
  addEventListener(
    type: string,
    // biome-ignore lint/suspicious/noExplicitAny: listeners receive the event type of their `type`.
    listener: EventListenerLike<any>,
    options?: { once?: boolean },
  ): void {
    this.browserListeners ??= new Map();
    let byListener = this.browserListeners.get(type);
    if (byListener === undefined) {
      byListener = new Map();
      this.browserListeners.set(type, byListener);
    }
    if (byListener.has(listener)) return;
    const call = (event: WebSocketEvent) => {
      if (options?.once) this.removeEventListener(type, listener);
      if (typeof listener === "function") listener.call(this, event);
      else listener.handleEvent(event);
    };
    let wrapper: (...args: unknown[]) => void;
    if (type === "message") {
      wrapper = (data, isBinary) => call(new MessageEvent(isBinary ? (data as Buffer) : textOf(data), this));
    } else if (type === "close") {
      wrapper = (code, reason) =>
        call(
          new CloseEvent(
            code as number,
            (reason as Buffer).toString(),
            this.closeFrameSent && this.closeFrameReceived,
            this,
          ),
        );
    } else if (type === "error") {
      wrapper = (error) => call(new ErrorEvent(error as Error, this));
    } else if (type === "open") {
      wrapper = () => call(new WebSocketEvent("open", this));
    } else return;
    byListener.set(listener, wrapper);
    this.on(type, wrapper);
  }

  // biome-ignore lint/suspicious/noExplicitAny: as addEventListener.
  removeEventListener(type: string, listener: EventListenerLike<any>): void {
    const byListener = this.browserListeners?.get(type);
    const wrapper = byListener?.get(listener);
    if (wrapper === undefined) return;
    byListener!.delete(listener);
    this.off(type, wrapper);
  }
}

const kWebSocket = Symbol("webSocket");
type OwnedSocket = Duplex & { [kWebSocket]: WebSocket };

// Socket listeners shared by every connection: `this` is the socket, which points at its WebSocket.
function socketData(this: Duplex, chunk: Buffer): void {
  (this as OwnedSocket)[kWebSocket]._onSocketData(chunk);
}
function socketEnd(this: Duplex): void {
  (this as OwnedSocket)[kWebSocket]._onSocketEnd();
}
function socketClose(this: Duplex): void {
  (this as OwnedSocket)[kWebSocket]._onSocketClose();
}
function socketError(this: Duplex): void {
  (this as OwnedSocket)[kWebSocket]._onSocketError();
}
function socketDrain(this: Duplex): void {
  (this as OwnedSocket)[kWebSocket]._onSocketDrain();
}
function uncorkSocket(ws: WebSocket): void {
  ws._uncork();
}
function closeTimedOut(ws: WebSocket): void {
  ws._onCloseTimeout();
}

/** The frame reader's sink: one small object per connection instead of five closures. */
class ReaderSink implements FrameReaderSink {
  constructor(private readonly ws: WebSocket) {}
  onMessage(fragments: Buffer[], length: number, isBinary: boolean): void {
    this.ws._receiveMessage(fragments, length, isBinary);
  }
  onPing(payload: Buffer): void {
    this.ws._receivePing(payload);
  }
  onPong(payload: Buffer): void {
    this.ws.emit("pong", payload);
  }
  onClose(code: number, reason: Buffer): void {
    this.ws._receiveClose(code, reason);
  }
  onError(error: WebSocketError): void {
    this.ws._failConnection(error);
  }
  onDrain(): void {
    this.ws._onReaderDrain();
  }
}

function textOf(data: unknown): string {
  if (Buffer.isBuffer(data)) return data.toString();
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString();
  return Buffer.concat(data as Buffer[]).toString();
}

function toArrayBuffer(data: Buffer): ArrayBuffer {
  const buffer = data.buffer as ArrayBuffer;
  if (data.byteOffset === 0 && data.byteLength === buffer.byteLength) return buffer;
  return buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
}

/** The request that created a server-side connection, as `connection` gives it. */
export type UpgradeRequest = IncomingMessage;
