// Per-socket incoming event rate: a token bucket refilled at `rate` tokens a second up to `burst`, one
// token per EVENT packet, counted on the server's injected clock (the engine's `clock` option) so tests
// drive it with mock timers. Checked in one place: Socket's incoming event path.
import type { Clock } from "@volley/engine";

/** What happens to a socket that sends events faster than allowed. */
export type EventRatePolicy = "drop" | "disconnect";

/** The `eventRateLimit` server option. */
export interface EventRateLimitOptions {
  /** Events a second one socket may send, sustained. Default 100. */
  rate?: number;
  /** Events one socket may send at once before the rate applies. Default 200. */
  burst?: number;
  /**
   * `"disconnect"` (default): the whole connection is closed, its sockets see the disconnect reason
   * `"event rate exceeded"` and an `"error"` naming the limit. `"drop"`: the event is discarded unseen by
   * handlers; an event that asked for an acknowledgement gets no reply (the client's ack timeout fires).
   */
  onExceeded?: EventRatePolicy;
  /**
   * With `"disconnect"`: milliseconds the client is advised to wait before reconnecting, sent in the close
   * hint (the Volley client waits at least that long; other clients ignore it). 0: no advice. Default 5000.
   */
  reconnectAfter?: number;
}

/** Resolved settings, shared by every socket of a server. */
export interface EventRateSettings {
  readonly rate: number;
  readonly burst: number;
  readonly onExceeded: EventRatePolicy;
  readonly clock: Clock;
  /** The error a breach reports, built once. */
  readonly message: string;
  /** The advised wait before reconnecting (ms), 0 for none. */
  readonly reconnectAfter: number;
}

export function resolveEventRate(
  opt: EventRateLimitOptions | false | undefined,
  clock: Clock,
): EventRateSettings | undefined {
  if (opt === false) return undefined;
  const rate = positiveOption("eventRateLimit.rate", opt?.rate, 100);
  const burst = positiveOption("eventRateLimit.burst", opt?.burst, 200);
  const onExceeded = opt?.onExceeded ?? "disconnect";
  if (onExceeded !== "drop" && onExceeded !== "disconnect")
    throw new TypeError(`option eventRateLimit.onExceeded must be "drop" or "disconnect"`);
  const reconnectAfter = opt?.reconnectAfter ?? 5000;
  if (typeof reconnectAfter !== "number" || !(reconnectAfter >= 0) || !Number.isFinite(reconnectAfter))
    throw new TypeError(
      `option eventRateLimit.reconnectAfter must be a finite number ≥ 0 (got ${String(reconnectAfter)})`,
    );
  const message = `incoming events exceed eventRateLimit (${rate}/s, burst ${burst})`;
  return { rate, burst, onExceeded, clock, message, reconnectAfter: Math.floor(reconnectAfter) };
}

/** One socket's bucket: two numbers, no timer (refilled lazily from the clock on each take). */
export class EventBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(settings: EventRateSettings) {
    this.tokens = settings.burst;
    this.refilledAt = settings.clock.now();
  }

  /** Takes one token; false when the socket is over its rate. */
  take(settings: EventRateSettings): boolean {
    const now = settings.clock.now();
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(settings.burst, this.tokens + (elapsed * settings.rate) / 1000);
      this.refilledAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0)) {
    throw new TypeError(`option ${name} must be a positive number (got ${String(value)})`);
  }
  return value;
}
