// What a Socket keeps of its server session so that the session can go on over a new connection
// (connection-state recovery), as one object the add-ons reach by name (`socket.recovery`):
// `@volley/client/exactly-once` carries it over a page reload, the shared connection's hub (`shared/hub.ts`)
// over the death of a hub. The Socket itself reads and writes it as it connects and receives.
import type { Ack } from "./socket-api.js";

/** @internal A Socket's session state (`socket.recovery`): the add-ons' seam, not for applications. */
export interface RecoveryState {
  /** The private session id of the server's CONNECT answer; sent back on the next CONNECT. */
  pid?: string | undefined;
  /** The offset of the last event received (see {@link offsetAfter}); sent back with `pid`. */
  offset?: string | undefined;
  /** The next acknowledgement id: ids are never reused within a session (a repeat is recognised by it). */
  nextId: number;
  /**
   * Acknowledgements awaited, by ack id. An add-on that settles or fails one deletes it first: each is
   * called once.
   */
  readonly acks: Map<number, Ack>;
}

/**
 * The session's offset once the event `args` is seen: the offset the server appended as the event's last
 * string argument (only while the session has a `pid`: the server appends none otherwise), else the
 * current one.
 */
export function offsetAfter(state: RecoveryState, args: unknown[]): string | undefined {
  const last = args.at(-1);
  return state.pid && args.length > 1 && typeof last === "string" ? last : state.offset;
}
