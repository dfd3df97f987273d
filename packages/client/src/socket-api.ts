// What `Socket` (over a Manager) and `SharedSocket` (over the hub of a shared connection) agree on: their
// options and reserved events, the event names an emit may not use, the shape of an acknowledgement, of a
// catch-all listener.
// Their methods stay in each class: a common base class costs the main browser bundle ~15 B gzipped, more
// than it may grow, for methods of a few lines.
import type { DisconnectDescription } from "./errors.js";

/** Options of one Socket (namespace). */
export interface SocketOptions {
  /** Sent with the CONNECT packet (the server's `socket.handshake.auth`); a function is called on each connect. */
  auth?: Record<string, unknown> | ((callback: (data: Record<string, unknown>) => void) => void);
  /** Retries of an unacknowledged emit (needs `ackTimeout`); emits are then sent one at a time. Default none. */
  retries?: number;
  /** Default acknowledgement timeout of every emit with an ack, ms. Default none. */
  ackTimeout?: number;
}

/** Why a Socket disconnected. */
export type DisconnectReason =
  | "io server disconnect"
  | "io client disconnect"
  | "ping timeout"
  | "transport close"
  | "transport error"
  | "parse error"
  | "forced close";

export interface SocketReservedEvents {
  /** Connected to the namespace (also after each reconnection). */
  connect: () => void;
  /** The namespace connection failed: a server middleware refused it (`err.data`), or the engine failed. */
  connect_error: (err: Error & { data?: unknown }) => void;
  /** `description`: what is known of the cause, with the server's close hint when it sent one. */
  disconnect: (reason: DisconnectReason, description?: DisconnectDescription) => void;
}

/** Names an emit may not use: the socket's own events. */
export const RESERVED = /^(connect(_error)?|disconnect(ing)?|newListener|removeListener)$/;

/**
 * An acknowledgement callback. `withError`: it takes an error first (`ack(err)` when the answer cannot come,
 * `ack(null, ...answer)` when it does), as `timeout()` and `emitWithAck` make it.
 */
// biome-ignore lint/suspicious/noExplicitAny: acknowledgements carry whatever the peer sent.
export type Ack = ((...args: any[]) => void) & { withError?: boolean };

/** A listener of every event: `listener(event, ...args)`. */
export type AnyListener = (event: string, ...args: unknown[]) => void;
