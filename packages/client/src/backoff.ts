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
  // Fields without an initializer are `declare`d: set in the constructor or later, they need no class
  // field definition (bytes in the browser bundle, whose size is budgeted).
  /** Delays handed out since the last reset. */
  attempts = 0;
  declare min: number;
  declare max: number;
  declare jitter: number;
  readonly #factor: number;
  readonly #random: () => number;

  constructor({ min, max, jitter, factor = 2, random = Math.random }: BackoffOptions) {
    this.min = min;
    this.max = max;
    this.jitter = jitter;
    this.#factor = factor;
    this.#random = random;
  }

  /** The next delay in ms. */
  duration(): number {
    const ms = this.min * this.#factor ** this.attempts++;
    const rand = this.#random();
    // One random draw decides both the size and the direction of the deviation.
    const deviation = Math.floor(rand * this.jitter * ms) * (Math.floor(rand * 10) & 1 ? 1 : -1);
    return Math.max(0, Math.floor(Math.min(ms + deviation, this.max)));
  }

  reset(): void {
    this.attempts = 0;
  }
}
