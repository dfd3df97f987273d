/** A rate: `rate` tokens per second refill a bucket of `burst` tokens; each handshake takes one. */
export interface RateLimit {
  /** Tokens added per second. */
  rate: number;
  /** Most tokens the bucket holds (handshakes allowed at once after a quiet period). */
  burst: number;
}

/** One bucket: its tokens at time `updated` (ms on the engine clock). */
export class TokenBucket {
  tokens: number;
  updated: number;

  constructor(limit: RateLimit, now: number) {
    this.tokens = limit.burst;
    this.updated = now;
  }

  private refill(limit: RateLimit, now: number): void {
    const elapsed = now - this.updated;
    if (elapsed > 0) this.tokens = Math.min(limit.burst, this.tokens + (elapsed * limit.rate) / 1000);
    this.updated = now;
  }

  /** Takes a token: 0 when taken, else the milliseconds until one is available (nothing is taken). */
  take(limit: RateLimit, now: number): number {
    this.refill(limit, now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / limit.rate);
  }

  /** Whether the bucket is back to full (it can be forgotten: a new one would be the same). */
  isFull(limit: RateLimit, now: number): boolean {
    this.refill(limit, now);
    return this.tokens >= limit.burst;
  }
}
