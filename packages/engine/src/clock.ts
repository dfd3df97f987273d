/**
 * The time source of the engine's timers (heartbeat, upgrade, close and connect timeouts): the `clock` option.
 * Tests inject one driven by fake timers (e.g. `mock.timers` of `node:test`) instead of sleeping.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (only differences are used). */
  now(): number;
  /** Calls `callback(arg)` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout<A>(callback: (arg: A) => void, ms: number, arg: A): unknown;
  /** Cancels a pending `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/**
 * Node's timers and `performance.now()` (monotonic: a wall-clock step does not move heartbeats). The globals
 * are looked up at each call.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms, arg) => setTimeout(callback, ms, arg),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
