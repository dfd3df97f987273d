// Graceful shutdown (`io.close({ graceful: … })`): stop accepting, tell every client when to come back (a
// jittered delay inside a window, so a restart is not followed by a reconnection storm), let acknowledgements
// in flight arrive, then close the connections in batches. Sockets leave with "server shutting down", a
// recoverable reason: with connection-state recovery their sessions stay in the adapter (in Redis with the
// Redis adapter), so a client that reconnects to another node recovers.
//
// The hint is a close hint (`@volley/engine`'s close-hint.ts), an Engine.IO noop packet with a JSON payload,
// `6{"reason":"server shutting down","reconnectAfter":1234}`: official engine.io-client / socket.io-client
// ignore noop packets (test/graceful-close.test.ts checks it against them); the Volley client waits that long
// before its next reconnection attempt.
import type { Clock } from "@volley/engine";
import type { Client } from "./client.js";

/** Options of a graceful `io.close()`. */
export interface GracefulCloseOptions {
  /** Clients are told to come back after a random delay in [0, reconnectWindow) ms. Default 10_000. */
  reconnectWindow?: number;
  /** Connections closed per batch. Default 500. */
  batchSize?: number;
  /** Pause between two batches, ms. Default 50. */
  batchInterval?: number;
  /** Longest wait for acknowledgements the server still awaits from clients, ms. Default 5_000. */
  ackTimeout?: number;
  /** Randomness of the advised delays, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** The argument of `io.close()`. */
export interface CloseOptions {
  /** `true` (defaults) or options: a graceful shutdown. Default: an immediate close, as Socket.IO's. */
  graceful?: GracefulCloseOptions | boolean;
}

interface Resolved {
  reconnectWindow: number;
  batchSize: number;
  batchInterval: number;
  ackTimeout: number;
  random: () => number;
}

function resolve(opt: GracefulCloseOptions | true): Resolved {
  const o = opt === true ? {} : opt;
  return {
    reconnectWindow: nonNegative("reconnectWindow", o.reconnectWindow, 10_000),
    batchSize: Math.max(1, Math.floor(nonNegative("batchSize", o.batchSize, 500))),
    batchInterval: nonNegative("batchInterval", o.batchInterval, 50),
    ackTimeout: nonNegative("ackTimeout", o.ackTimeout, 5_000),
    random: o.random ?? Math.random,
  };
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value))
    throw new TypeError(`option graceful.${name} must be a finite number ≥ 0 (got ${String(value)})`);
  return value;
}

function wait(clock: Clock, ms: number): Promise<void> {
  return new Promise((done) => clock.setTimeout(done, ms, undefined));
}

/**
 * Runs the graceful part of a shutdown over `clients` (the server then closes adapters, engine and http
 * server as in a plain close). New connections must already be refused by the caller.
 */
export async function closeGracefully(
  clients: readonly Client[],
  options: GracefulCloseOptions | true,
  clock: Clock,
): Promise<void> {
  const o = resolve(options);
  for (const client of clients) {
    const delay = Math.floor(o.random() * o.reconnectWindow);
    client._advise({ reason: "server shutting down", reconnectAfter: delay });
  }
  // Acknowledgements in flight: wait until none is pending, at most ackTimeout.
  const deadline = clock.now() + o.ackTimeout;
  const step = Math.max(1, Math.min(o.batchInterval || 10, o.ackTimeout));
  while (clients.some((client) => client._pendingAcks() > 0) && clock.now() < deadline) {
    await wait(clock, step);
  }
  for (let i = 0; i < clients.length; i += o.batchSize) {
    if (i > 0) await wait(clock, o.batchInterval);
    const end = Math.min(clients.length, i + o.batchSize);
    for (let j = i; j < end; j++) clients[j]!._shutdown();
  }
}
