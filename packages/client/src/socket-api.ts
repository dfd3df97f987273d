// What `Socket` (over a Manager) and `SharedSocket` (over the hub of a shared connection) agree on: the
// event names an emit may not use, the shape of an acknowledgement, of a catch-all listener.
// Their methods stay in each class: a common base class costs the main browser bundle ~15 B gzipped, more
// than it may grow, for methods of a few lines.

/** Names an emit may not use: the socket's own events. */
export const RESERVED = /^(connect(_error)?|disconnect(ing)?|newListener|removeListener)$/;

/**
 * An acknowledgement callback. `_withError`: it takes an error first (a timeout, a disconnect), as
 * `timeout()` and `emitWithAck` make it.
 */
// biome-ignore lint/suspicious/noExplicitAny: acknowledgements carry whatever the peer sent.
export type Ack = ((...args: any[]) => void) & { _withError?: boolean };

/** A listener of every event: `listener(event, ...args)`. */
export type AnyListener = (event: string, ...args: unknown[]) => void;
