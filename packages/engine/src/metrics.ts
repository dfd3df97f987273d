// What the engine counts about itself: handshakes, refusals, upgrades, closes, close hints, messages and
// bytes. The hot-path counters are plain number fields incremented in place; the few keyed by a reason
// (refusals, closes, close hints) change once per request or session, never per packet.

/** A copy of the engine's counters and gauges at one moment: plain JSON. */
export interface EngineMetricsSnapshot {
  /** Open sessions by their current transport (`polling`, `websocket`). */
  sessions: Record<string, number>;
  /** Sessions opened, by the transport of their handshake. */
  handshakes: Record<string, number>;
  /** Requests and upgrades refused, by reason (`context.name` of the refusal, else its code's name). */
  refusals: Record<string, number>;
  /** Sessions moved from polling to websocket. */
  upgrades: number;
  /** Upgrades that failed (probe error, websocket closed, `upgradeTimeout`): the session stays on polling. */
  upgradeFailures: number;
  /** Sessions closed, by close reason (`transport close`, `ping timeout`, `slow consumer`, …). */
  closes: Record<string, number>;
  /** Engine.IO message packets received from clients, and their payload size. */
  messagesReceived: number;
  bytesReceived: number;
  /** Engine.IO message packets queued for clients (a broadcast counts once per recipient), and their size. */
  messagesSent: number;
  bytesSent: number;
  /** Bytes queued for clients and not yet written, over every session, and the largest of one session. */
  bufferedBytes: { total: number; max: number };
  /**
   * Close hints given to clients just before their session closed, by the hint's reason (`slow consumer`,
   * `server shutting down`, `event rate exceeded`, …): queued on an open session, or written to the
   * transport of a slow consumer still keeping up.
   */
  closeHints: Record<string, number>;
  /**
   * Close hints owed to the next poll of polling sessions closed while no poll was waiting (`owedCloseHints`).
   * Each ends delivered, expired or evicted: `owed - delivered - expired - evicted` are kept now
   * (`engine.close()` forgets those uncounted).
   */
  owedCloseHints: {
    /** Hints kept for the next poll of a session closed with its hint undelivered. */
    owed: number;
    /** Hints answered on a later poll of their session. */
    delivered: number;
    /** Hints forgotten undelivered after `ttl` (counted when noticed: at the next owe, poll or snapshot). */
    expired: number;
    /** Hints forgotten undelivered to respect `max` (the oldest first), or replaced by a newer one for their session. */
    evicted: number;
  };
}

/** What a snapshot reads of an open session. */
interface SessionGauge {
  readonly transport: { readonly name: string };
  readonly bufferedBytes: number;
}

const CODE_NAMES: Readonly<Record<number, string>> = {
  0: "UNKNOWN_TRANSPORT",
  1: "UNKNOWN_SID",
  2: "BAD_HANDSHAKE_METHOD",
  3: "BAD_REQUEST",
  4: "FORBIDDEN",
  5: "UNSUPPORTED_PROTOCOL_VERSION",
  6: "TOO_MANY_HANDSHAKES",
  7: "TOO_MANY_CONNECTIONS",
};

/** The reason of a refusal: its `context.name` when it has one, else the name of its error code. */
export function refusalReason(code: number, name: unknown): string {
  return typeof name === "string" && name !== "" ? name : (CODE_NAMES[code] ?? String(code));
}

/**
 * The engine's live counters (one per {@link EngineServer}). Sizes are those the engine's buffer
 * accounting uses: bytes for binary data, UTF-16 code units for text (equal to bytes for ASCII).
 * @internal
 */
export class EngineCounters {
  handshakesPolling = 0;
  handshakesWebsocket = 0;
  upgrades = 0;
  upgradeFailures = 0;
  messagesReceived = 0;
  bytesReceived = 0;
  messagesSent = 0;
  bytesSent = 0;
  /** Close hints kept for the next poll of a polling session closed while no poll was waiting. */
  closeHintsOwed = 0;
  /** Owed close hints answered on a later poll of their session. */
  owedCloseHintsDelivered = 0;
  /** Owed close hints forgotten undelivered after `owedCloseHints.ttl`. */
  owedCloseHintsExpired = 0;
  /** Owed close hints forgotten undelivered past `owedCloseHints.max` (or replaced for the same session). */
  owedCloseHintsEvicted = 0;
  private readonly refusals = new Map<string, number>();
  private readonly closes = new Map<string, number>();
  private readonly closeHints = new Map<string, number>();

  /** A request refused: `name` is the refusal's `context.name` when it has one. */
  refused(code: number, name: unknown): void {
    const reason = refusalReason(code, name);
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
  }

  /** A session closed for `reason`. */
  closed(reason: string): void {
    this.closes.set(reason, (this.closes.get(reason) ?? 0) + 1);
  }

  /** A close hint given to a client whose session is about to close (once per session at most). */
  closeHintSent(reason: string): void {
    this.closeHints.set(reason, (this.closeHints.get(reason) ?? 0) + 1);
  }

  snapshot(sessions: Iterable<SessionGauge>): EngineMetricsSnapshot {
    const open: Record<string, number> = { polling: 0, websocket: 0 };
    let total = 0;
    let max = 0;
    for (const session of sessions) {
      const name = session.transport.name;
      open[name] = (open[name] ?? 0) + 1;
      const buffered = session.bufferedBytes;
      total += buffered;
      if (buffered > max) max = buffered;
    }
    return {
      sessions: open,
      handshakes: { polling: this.handshakesPolling, websocket: this.handshakesWebsocket },
      refusals: Object.fromEntries(this.refusals),
      upgrades: this.upgrades,
      upgradeFailures: this.upgradeFailures,
      closes: Object.fromEntries(this.closes),
      messagesReceived: this.messagesReceived,
      bytesReceived: this.bytesReceived,
      messagesSent: this.messagesSent,
      bytesSent: this.bytesSent,
      bufferedBytes: { total, max },
      closeHints: Object.fromEntries(this.closeHints),
      owedCloseHints: {
        owed: this.closeHintsOwed,
        delivered: this.owedCloseHintsDelivered,
        expired: this.owedCloseHintsExpired,
        evicted: this.owedCloseHintsEvicted,
      },
    };
  }
}
