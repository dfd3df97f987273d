/**
 * The timer functions the clients use for heartbeats, connect timeouts and reconnection backoff.
 * Injected (option `timers`) so tests drive time with mock timers instead of sleeping.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds since an arbitrary origin; used to notice a heartbeat deadline missed while suspended. */
  now(): number;
}

/** The platform's timers, looked up at call time so node:test `mock.timers` can replace them. */
export const defaultTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};
