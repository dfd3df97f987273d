/** Reconnection delay settings (the Manager's options of the same meaning). */
export interface BackoffOptions {
  /** First delay, ms. */
  min: number;
  /** Largest delay, ms. */
  max: number;
  /** 0..1: each delay is moved up or down by at most this fraction, so clients do not reconnect in step. */
  jitter: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Source of randomness in [0, 1). Default `Math.random` (tests inject their own). */
  random?: () => number;
}

/** Exponential backoff with jitter: min·factor^attempt, randomised by ±jitter, capped at max. */
export class Backoff {
  /** Delays handed out since the last reset. */
  attempts = 0;
  min: number;
  max: number;
  jitter: number;
  readonly #opts: BackoffOptions;

  constructor(opts: BackoffOptions) {
    this.min = opts.min;
    this.max = opts.max;
    this.jitter = opts.jitter;
    this.#opts = opts;
  }

  /** The next delay in ms. */
  duration(): number {
    let ms = this.min * (this.#opts.factor ?? 2) ** this.attempts++;
    const rand = (this.#opts.random ?? Math.random)();
    const deviation = Math.floor(rand * this.jitter * ms);
    // One random draw decides both the size and the direction of the deviation.
    ms += Math.floor(rand * 10) & 1 ? deviation : -deviation;
    return Math.max(0, Math.floor(Math.min(ms, this.max)));
  }

  reset(): void {
    this.attempts = 0;
  }
}
