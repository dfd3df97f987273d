// Close hints owed to polling clients. A polling session closed with a hint while no GET of its client was
// waiting never got to say why: the client's next poll would find the sid unknown (400) and its user a bare
// transport error. The server remembers the answer that poll should have had (the hint and the close packet,
// a normal Engine.IO payload) and gives it once. Bounded by count and age; ages are read on the injected clock
// when an entry is added or taken, so no entry holds a timer. What becomes of each hint is counted in the
// engine's counters (owed, then delivered, expired or evicted).
import type { Clock } from "./clock.js";
import type { EngineCounters } from "./metrics.js";
import { encodePacket, RECORD_SEPARATOR } from "./parser/index.js";
import { encodePacketV3, encodeTextPayloadV3 } from "./parser/v3.js";
import type { EngineProtocol } from "./session.js";

/** Bounds of the record of owed close hints (the engine option `owedCloseHints`). */
export interface OwedCloseHintsOptions {
  /** Most hints kept at once; past it the oldest is forgotten. Default 1000. */
  max?: number;
  /** Milliseconds a hint is kept for its client's next poll. Default `pingInterval + pingTimeout`. */
  ttl?: number;
}

interface OwedAnswer {
  /** The poll's answer: the hint noop and the close packet, in the session's protocol. */
  readonly body: string;
  /** Clock time past which the answer is forgotten. */
  readonly expiresAt: number;
}

/**
 * The answers owed to the next poll of sessions closed with an undelivered close hint, by session id.
 * Insertion order is expiry order (one `ttl` for all), so the oldest are always first: pruning looks only
 * at the front of the map.
 */
export class OwedCloseHints {
  private readonly answers = new Map<string, OwedAnswer>();
  private readonly max: number;
  private readonly ttl: number;
  private readonly clock: Clock;
  private readonly counters: EngineCounters;

  /** @param counters The engine's counters: hints owed, delivered, expired and evicted are added there. */
  constructor(max: number, ttl: number, clock: Clock, counters: EngineCounters) {
    this.max = max;
    this.ttl = ttl;
    this.clock = clock;
    this.counters = counters;
  }

  /** Hints kept now (expired ones may still count until the next `owe` or `take`). */
  get size(): number {
    return this.answers.size;
  }

  /** Keeps `hint` (a close hint's JSON) for the next poll of session `sid`, framed for `protocol`. */
  owe(sid: string, protocol: EngineProtocol, hint: string): void {
    const now = this.clock.now();
    this.prune(now);
    // A hint still owed to the same sid is replaced: forgotten undelivered, as one evicted.
    if (this.answers.delete(sid)) this.counters.owedCloseHintsEvicted++;
    this.answers.set(sid, { body: hintedClosePayload(protocol, hint), expiresAt: now + this.ttl });
    this.counters.closeHintsOwed++;
    if (this.answers.size > this.max) {
      this.answers.delete(this.answers.keys().next().value!);
      this.counters.owedCloseHintsEvicted++;
    }
  }

  /** The answer owed to a poll of `sid`, once: it is forgotten as it is taken. */
  take(sid: string): string | undefined {
    this.prune(this.clock.now());
    const answer = this.answers.get(sid);
    if (answer === undefined) return undefined;
    this.answers.delete(sid);
    this.counters.owedCloseHintsDelivered++;
    return answer.body;
  }

  /** Drops the expired answers now (a metrics snapshot counts them without waiting for the next owe or take). */
  expire(): void {
    this.prune(this.clock.now());
  }

  /** Forgets every hint (the engine closed). */
  clear(): void {
    this.answers.clear();
  }

  /** Drops the expired answers, all at the front. */
  private prune(now: number): void {
    for (const [sid, answer] of this.answers) {
      if (answer.expiresAt > now) return;
      this.answers.delete(sid);
      this.counters.owedCloseHintsExpired++;
    }
  }
}

/** A polling payload of the noop carrying `hint`, then the close packet. */
function hintedClosePayload(protocol: EngineProtocol, hint: string): string {
  if (protocol === 3) {
    return encodeTextPayloadV3([
      encodePacketV3({ type: "noop", data: hint }),
      encodePacketV3({ type: "close" }),
    ]);
  }
  return `${encodePacket({ type: "noop", data: hint }, false) as string}${RECORD_SEPARATOR}${
    encodePacket({ type: "close" }, false) as string
  }`;
}
