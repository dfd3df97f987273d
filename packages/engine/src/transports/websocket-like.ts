import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** Options for sending one WebSocket message (`ws`'s shape). */
export interface WebSocketSendOptions {
  binary?: boolean;
  compress?: boolean;
}

/**
 * The part of a server-side WebSocket the engine uses: `@volley/websocket`'s WebSocket, or `ws`'s.
 * `sendPrepared` (frame-once broadcasts) is optional: without it prepared packets are sent with `send`.
 */
export interface WebSocketLike {
  readonly bufferedAmount: number;
  send(data: string | Buffer | Uint8Array, options: WebSocketSendOptions, cb?: (err?: Error) => void): void;
  sendPrepared?(prepared: unknown, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  /**
   * `@volley/websocket`'s one handler for message, close and error: preferred to three listeners (no
   * listener table per connection). Without it (`ws`), the transport listens to the events.
   */
  attachHandler?(handler: {
    onWebSocketMessage(data: Buffer, isBinary: boolean): void;
    onWebSocketClose(code: number, reason: Buffer): void;
    onWebSocketError(error: Error): void;
  }): void;
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: "close", listener: (code: number, reason: Buffer) => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
}

/** The part of a WebSocket server the engine uses (`noServer` mode). */
export interface WebSocketServerLike {
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: (ws: WebSocketLike, req: IncomingMessage) => void,
  ): void;
  close?(cb?: () => void): void;
  /** `headers(lines, req)`: the 101 response lines, still editable (used for the session cookie). */
  on?(event: "headers", listener: (lines: string[], req: IncomingMessage) => void): unknown;
}

/** Options the engine constructs its WebSocket server with. */
export interface WebSocketServerConstructorOptions {
  noServer: true;
  clientTracking: false;
  maxPayload: number;
  perMessageDeflate: boolean | Record<string, unknown>;
}

/** A WebSocket server class with `ws`'s constructor: the `wsEngine` option. */
export type WebSocketServerConstructor = new (
  options: WebSocketServerConstructorOptions,
) => WebSocketServerLike;

/**
 * Frames a message once for many sockets: `prepareMessage` of `@volley/websocket`. With `compress`, the
 * frame is also deflated once for the connections that negotiated server_no_context_takeover.
 */
export type PrepareFrame = (
  data: string | Buffer,
  options: { binary: boolean; compress: boolean },
) => unknown;
