// Failed logins per client address: after `maxFailures` within `window` ms, that address is refused
// without checking its credentials until the window has passed. The table is bounded: beyond
// `maxAddresses` the address tracked longest is forgotten first.

/** Limits of {@link LoginLimiter}. */
export interface LoginLimiterOptions {
  maxFailures: number;
  window: number;
  maxAddresses: number;
  now: () => number;
}

interface Failures {
  count: number;
  /** When the first failure of the current window happened. */
  since: number;
}

export class LoginLimiter {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly options: LoginLimiterOptions) {}

  /** Milliseconds `address` must still wait, or 0 when it may try. */
  retryAfter(address: string): number {
    const entry = this.failures.get(address);
    if (!entry) return 0;
    const elapsed = this.options.now() - entry.since;
    if (elapsed >= this.options.window) {
      this.failures.delete(address);
      return 0;
    }
    return entry.count >= this.options.maxFailures ? this.options.window - elapsed : 0;
  }

  /** Records a failed login from `address`. */
  failed(address: string): void {
    const now = this.options.now();
    const entry = this.failures.get(address);
    if (entry && now - entry.since < this.options.window) {
      entry.count++;
      return;
    }
    this.failures.delete(address);
    if (this.failures.size >= this.options.maxAddresses) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(address, { count: 1, since: now });
  }

  /** A successful login clears the address's failures. */
  succeeded(address: string): void {
    this.failures.delete(address);
  }

  /** Addresses currently tracked (for tests and the admin view itself). */
  get size(): number {
    return this.failures.size;
  }
}
