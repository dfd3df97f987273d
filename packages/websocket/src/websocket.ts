import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type ClientOptions, type HandshakeTarget, openClientHandshake } from "./client.js";
import { CloseCode } from "./close-codes.js";
import { closeReasonBytes } from "./close-handshake.js";
import type { ConnectionSetup } from "./connection-setup.js";
import { notOpen, WebSocketError } from "./errors.js";
import { byteSize, EMPTY, type SendData, toBuffer } from "./message-data.js";
import { MAX_CONTROL_PAYLOAD, Opcode } from "./opcode.js";
import type { PreparedMessage } from "./prepared-message.js";
import type { SendCallback, SendOptions } from "./send-queue.js";
import { WebSocketConnection } from "./websocket-connection.js";

export { DEFAULT_MAX_PAYLOAD } from "./limits.js";
export type { BinaryType, SendData } from "./message-data.js";
export type { SendCallback, SendOptions } from "./send-queue.js";
export { DEFAULT_CLOSE_TIMEOUT, type WebSocketHandler } from "./websocket-connection.js";

/**
 * One WebSocket connection (RFC 6455), server side (from `WebSocketServer`) or client side
 * (`new WebSocket(url)`), with the API of `ws` and the browser's properties. This class holds the
 * commands (send, ping, pong, close, terminate) and the client handshake's hooks; the receiving side
 * (socket, frame reader, state, the layer above) is `WebSocketConnection`, and the send queue, the
 * closing handshake, the socket glue and the browser EventTarget surface live in their own modules.
 *
 * Events: `open`, `message(data, isBinary)`, `ping(payload)`, `pong(payload)`, `close(code, reason)`,
 * `error(err)` (only emitted when someone listens: a protocol violation never throws into the process),
 * `drain` (the socket's write buffer emptied after a write returned false), `upgrade(res)` and
 * `unexpected-response(req, res)` (client).
 */
export class WebSocket extends WebSocketConnection implements HandshakeTarget {
  private urlValue: string;
  private abortHandshake: ((error: WebSocketError) => void) | null = null;

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

  /** The URL this client connected to; empty on the server side. */
  get url(): string {
    return this.urlValue;
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
    this.reportClosed(CloseCode.Abnormal, EMPTY);
  }
}

/** The request that created a server-side connection, as `connection` gives it. */
export type UpgradeRequest = IncomingMessage;

function reportHandshakeFailure(socket: WebSocket, error: WebSocketError): void {
  socket.handshakeFailed(error);
}
