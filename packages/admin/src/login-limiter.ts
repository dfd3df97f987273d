// Who may try to log in now. Per client address: after `maxFailures` failures within `window` ms,
// the address is refused without its credentials being checked until the window has passed; an
// attempt counts as failed until it is proven right, so parallel attempts cannot exceed the limit.
// Over all addresses: at most `maxConcurrent` checks at once (each costs a scrypt derivation: CPU
// and memory), so many addresses together cannot exhaust the server either. The table of addresses is
// bounded: beyond `maxAddresses` the address tracked longest is forgotten first.

/** Limits of {@link LoginLimiter}. */
export interface LoginLimiterOptions {
  maxFailures: number;
  window: number;
  maxAddresses: number;
  maxConcurrent: number;
  now: () => number;
}

/** Why an attempt may not go on, and when the address may try again (ms; 0 for "at once"). */
export interface LoginRefusal {
  reason: "too many failed logins" | "too many logins at once";
  retryAfter: number;
}

interface Failures {
  count: number;
  /** When the first failure of the current window happened. */
  since: number;
}

export class LoginLimiter {
  private readonly failures = new Map<string, Failures>();
  private checking = 0;

  constructor(private readonly options: LoginLimiterOptions) {}

  /**
   * Starts an attempt from `address`: a refusal, or undefined when the credentials may be checked
   * (then call {@link settle} with the outcome).
   */
  begin(address: string): LoginRefusal | undefined {
    const wait = this.retryAfter(address);
    if (wait > 0) return { reason: "too many failed logins", retryAfter: wait };
    if (this.checking >= this.options.maxConcurrent)
      return { reason: "too many logins at once", retryAfter: 0 };
    this.checking++;
    this.failed(address);
    return undefined;
  }

  /** Ends an attempt begun with {@link begin}: a success clears the address's failures. */
  settle(address: string, ok: boolean): void {
    this.checking--;
    if (ok) this.failures.delete(address);
  }

  /** Checks running now. */
  get inProgress(): number {
    return this.checking;
  }

  /** Addresses whose failures are tracked. */
  get size(): number {
    return this.failures.size;
  }

  private retryAfter(address: string): number {
    const entry = this.failures.get(address);
    if (!entry) return 0;
    const elapsed = this.options.now() - entry.since;
    if (elapsed >= this.options.window) {
      this.failures.delete(address);
      return 0;
    }
    return entry.count >= this.options.maxFailures ? this.options.window - elapsed : 0;
  }

  private failed(address: string): void {
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
}
