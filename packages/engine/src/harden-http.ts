import type { Server as HttpServer } from "node:http";

/** Limits of an HTTP server that Volley creates itself (see {@link hardenHttpServer}). */
export interface HttpHardeningOptions {
  /** ms to receive a request's headers; then Node answers 408 and closes (slowloris). Default: 10000. */
  headersTimeout?: number;
  /**
   * ms to receive a whole request (headers and body; a long-poll's wait for its answer does not count);
   * then 408 and close. Default: 30000.
   */
  requestTimeout?: number;
  /** ms an idle keep-alive connection is kept open between requests. Default: 5000. */
  keepAliveTimeout?: number;
  /** Most TCP connections at once (upgraded WebSockets included); more are dropped on accept. Default: 100000. */
  maxConnections?: number;
  /**
   * ms between two sweeps that enforce `headersTimeout`/`requestTimeout` (Node's default, 30 s, would let a
   * header timeout run 30 s late). Takes effect when set before `listen()`. Default: 1000.
   */
  connectionsCheckingInterval?: number;
}

/** The defaults of {@link hardenHttpServer}, one place. */
export const HTTP_HARDENING_DEFAULTS: Readonly<Required<HttpHardeningOptions>> = Object.freeze({
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  maxConnections: 100_000,
  connectionsCheckingInterval: 1_000,
});

/**
 * Tight timeouts and a connection cap for an `http.Server` Volley creates itself (Node's defaults let a
 * slowloris client hold a connection for 60 s of headers, 300 s per request). Call it before `listen()`;
 * returns the server. Servers the application passes in are left alone: their limits are the app's choice.
 * @throws TypeError naming the option when a value is not a positive number.
 */
export function hardenHttpServer<S extends HttpServer>(server: S, options: HttpHardeningOptions = {}): S {
  const resolved = { ...HTTP_HARDENING_DEFAULTS };
  for (const name of Object.keys(HTTP_HARDENING_DEFAULTS) as Array<keyof HttpHardeningOptions>) {
    const value = options[name];
    if (value === undefined) continue;
    if (typeof value !== "number" || !(value > 0)) {
      throw new TypeError(`option ${name} must be a positive number (got ${String(value)})`);
    }
    resolved[name] = value;
  }
  // Node requires headersTimeout <= requestTimeout (else it ignores the request timeout).
  server.requestTimeout = resolved.requestTimeout;
  server.headersTimeout = Math.min(resolved.headersTimeout, resolved.requestTimeout);
  server.keepAliveTimeout = resolved.keepAliveTimeout;
  server.maxConnections = resolved.maxConnections;
  (server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval =
    resolved.connectionsCheckingInterval;
  return server;
}
