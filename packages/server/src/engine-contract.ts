// The slice of `@volley/engine` this package relies on, written down structurally so the server
// layer depends on the contract, not on the engine's internals.
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

/** A message packet encoded once for every transport (`engine.prepare`); `data` is the message itself. */
export interface PreparedPacket {
  readonly data: string | Buffer;
}

/** What the server reads of the handshake request. */
export interface HandshakeInfo {
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  readonly secure: boolean;
}

/** One Engine.IO session, as the server layer uses it. */
export interface EngineSession {
  readonly id: string;
  readonly request: IncomingMessage;
  /** The engine's compact record of the handshake request: read instead of rebuilding `request`. */
  readonly handshake?: HandshakeInfo;
  readonly transport: { readonly name: string };
  readonly readyState: string;
  readonly protocol: number;
  readonly remoteAddress: string;
  readonly writable: boolean;
  /** Bytes queued for the client and not yet written to the network. */
  readonly bufferedBytes: number;
  send(data: string | Buffer, opts?: { compress?: boolean }): unknown;
  sendPrepared(prepared: PreparedPacket): unknown;
  /** A noop packet with a payload (the graceful-close reconnect hint). */
  sendNoop(data: string): unknown;
  close(): unknown;
  /** One handler for messages and the close, called before listeners (no listener table per session). */
  attachHandler(handler: {
    onSessionMessage(data: string | Buffer): void;
    onSessionClose(reason: string, description?: unknown): void;
  }): void;
  on(event: "message", listener: (data: string | Buffer) => void): unknown;
  on(event: "close", listener: (reason: string, description?: unknown) => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
}
