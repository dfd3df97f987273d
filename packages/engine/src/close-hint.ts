// Close hints: before a server closes a session for a reason its client can act on (a limit it broke, a
// shutdown), it sends one Engine.IO noop packet carrying JSON, `6{"reason":"slow consumer","message":…}`.
// Engine.IO 4 clients (engine.io-client, socket.io-client, python-engineio) drop noop packets and their payload
// unread — the protocol uses noop only to release a poll during an upgrade — so the hint costs them nothing;
// the Volley client keeps it and hands it over with the disconnect. One definition of the wire form: this file.
import type { CloseReason } from "./errors.js";
import type { EngineCounters } from "./metrics.js";
import type { ResolvedOptions } from "./options.js";
import type { Outgoing, OutgoingPacket } from "./outgoing.js";
import { PreparedPacket } from "./prepared-packet.js";
import type { Transport } from "./transports/transport.js";

/** RFC 6455 §7.4.1: 1008, the endpoint received a message that violates its policy. */
const POLICY_VIOLATION = 1008;
const CLOSE: OutgoingPacket = { type: "close" };

/** What a server tells its client just before closing the session (the payload of a noop packet). */
export interface CloseHint {
  /**
   * Why the server closes: the disconnect reason its own sockets see — `"slow consumer"`, `"event rate
   * exceeded"`, `"server shutting down"`, `"parse error"`.
   */
  reason: string;
  /** The same in words, naming the limit and its value (`outgoing buffer exceeds maxBufferedBytes (…)`). */
  message?: string;
  /** Milliseconds the client should wait before connecting again. */
  reconnectAfter?: number;
}

/**
 * Something a hint can be queued on: a session (its `sendNoop` queues `6<data>`, and counts a close hint for
 * `closeHintReason` in the engine's metrics when it is given and the packet queued).
 */
export interface HintTarget {
  sendNoop(data: string, closeHintReason?: string): unknown;
}

/** Longest `message` sent, in UTF-16 units: an error's text (a custom parser's, say) may be anything. */
export const MAX_HINT_MESSAGE = 256;

/** The noop's payload: the hint as JSON, its fields in a fixed order, the message cut to its bound. */
export function encodeCloseHint(hint: CloseHint): string {
  const { reason, message, reconnectAfter } = hint;
  return JSON.stringify({ reason, message: message?.slice(0, MAX_HINT_MESSAGE), reconnectAfter });
}

/** Queues `hint` on `session` (sent with what is queued, ahead of the close that follows). */
export function sendHint(session: HintTarget, hint: CloseHint): void {
  session.sendNoop(encodeCloseHint(hint), hint.reason);
}

/** The hint as a packet, for a transport written to directly (the session's queue being dropped). */
export function hintPacket(hint: CloseHint): OutgoingPacket {
  return { type: "noop", data: encodeCloseHint(hint) };
}

/** What a session closed as a slow consumer is told. */
function slowConsumerHint(options: Pick<ResolvedOptions, "maxBufferedBytes">): CloseHint {
  const message = `outgoing buffer exceeds maxBufferedBytes (${options.maxBufferedBytes} bytes)`;
  return { reason: "slow consumer", message };
}

/**
 * The hint (its JSON) a polling session closed for `reason` while no poll was waiting still owes its client,
 * or undefined: the slow consumer's, or the last hint among the packets `dropped` unsent. A client that
 * closed the session itself ("transport close") will not poll again: nothing is owed.
 */
export function undeliveredHint(
  reason: CloseReason,
  dropped: readonly Outgoing[] | undefined,
  options: Pick<ResolvedOptions, "maxBufferedBytes">,
): string | undefined {
  if (reason === "transport close") return undefined;
  if (reason === "slow consumer") return encodeCloseHint(slowConsumerHint(options));
  if (dropped === undefined) return undefined;
  for (let i = dropped.length - 1; i >= 0; i--) {
    const entry = dropped[i]!;
    // Noop packets with a payload are queued by `sendNoop` only, whose payload is a hint.
    if (!(entry instanceof PreparedPacket) && entry.type === "noop" && typeof entry.data === "string") {
      return entry.data;
    }
  }
  return undefined;
}

/**
 * Ends the transport of a session closed as a slow consumer (over `maxBufferedBytes`; what was still queued
 * is dropped). A client that was keeping up — what the socket still holds is within `writableHighWaterMark`,
 * only the last burst was too much — gets the hint, then (websocket) close 1008 "slow consumer" after what
 * it was already sent; the WebSocket's close timeout bounds how long that backlog is kept. A client that
 * stopped reading would not see the hint for a long while: its connection is dropped at once, freeing the
 * backlog. Polling: the hint and the close packet answer a waiting poll if there is one (else the session
 * owes them to the next poll: `undeliveredHint`). A hint written is counted in `counters` (`closeHintSent`).
 */
export function endSlowConsumer(
  transport: Transport,
  options: Pick<ResolvedOptions, "maxBufferedBytes" | "writableHighWaterMark">,
  counters: Pick<EngineCounters, "closeHintSent">,
): void {
  if (transport.bufferedAmount > options.writableHighWaterMark || !transport.writable) {
    transport.close(true);
    return;
  }
  const hint = hintPacket(slowConsumerHint(options));
  counters.closeHintSent("slow consumer");
  // Polling: the answer ends with the close packet itself (the session is gone for the next poll).
  transport.send(transport.name === "polling" ? [hint, CLOSE] : [hint]);
  transport.close(false, POLICY_VIOLATION, "slow consumer");
}
