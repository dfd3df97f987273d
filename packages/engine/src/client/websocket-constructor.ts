// Which WebSocket to use: browsers use their own; Node loads @volley/websocket lazily (node-websocket.ts,
// which the browser bundle replaces by an empty stub).

/** The part of the WHATWG WebSocket the transport uses (the browser's, @volley/websocket's, `ws`'s). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  // biome-ignore lint/suspicious/noExplicitAny: each implementation types its events differently.
  onopen: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: idem.
  onmessage: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: idem.
  onclose: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: idem.
  onerror: ((event: any) => void) | null;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  /** Set (Node, our WebSocket) when the server refused the handshake: its status and the wait it asked for. */
  refusal?: { status: number; retryAfter?: number; body?: unknown };
}

/** The handshake request of a refused Node WebSocket (only `destroy` is used). */
export interface RefusedRequest {
  destroy(): void;
}

/** The refusal of a Node WebSocket handshake (an `http.IncomingMessage`; the parts used). */
export interface RefusalResponse {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "error" | "close", listener: () => void): unknown;
}

/**
 * Node-side constructor options (ignored by browsers): handshake headers, permessage-deflate, and the
 * connection options (`agent`, TLS, `createConnection`) as `ws` and `@volley/websocket` take them.
 */
export interface WebSocketConstructorOptions {
  headers?: Record<string, string>;
  perMessageDeflate?: unknown;
  [option: string]: unknown;
}

export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: WebSocketConstructorOptions,
) => WebSocketLike;

/** True in Node (and runtimes that mimic it), where we use our own WebSocket for headers and deflate. */
export const isNode =
  typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string";
