import type { IncomingMessage, ServerResponse } from "node:http";

/** Whether (and how) a request origin is allowed: the `origin` option or the answer of its function form. */
export type CorsOrigin = boolean | string | RegExp | ReadonlyArray<string | RegExp>;

/** CORS for the polling transport, the same shape as socket.io's `cors` option. */
export interface CorsOptions {
  /**
   * Allowed origins: `true` reflects the request origin, `"*"` allows any, a string/RegExp/array allows the
   * matching ones, `false` disables CORS, a function decides per request. Default: "*".
   */
  origin?:
    | CorsOrigin
    | ((origin: string | undefined, cb: (err: Error | null, origin?: CorsOrigin) => void) => void);
  /** Methods announced in a preflight answer. Default: "GET,HEAD,PUT,PATCH,POST,DELETE". */
  methods?: string | string[];
  /** Headers allowed in requests. Default: the ones the preflight asks for. */
  allowedHeaders?: string | string[];
  /** Response headers exposed to scripts. Default: none. */
  exposedHeaders?: string | string[];
  /** Send `Access-Control-Allow-Credentials: true`. Default: false. */
  credentials?: boolean;
  /** Seconds a preflight answer may be cached. Default: not sent. */
  maxAge?: number;
}

const DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE";

function list(value: string | string[]): string {
  return typeof value === "string" ? value : value.join(",");
}

function matches(origin: string, allowed: string | RegExp): boolean {
  return typeof allowed === "string" ? origin === allowed : allowed.test(origin);
}

/** The `Access-Control-Allow-Origin` value for a request, or undefined when it gets none. */
function allowOriginFor(allowed: CorsOrigin, origin: string | undefined): { value?: string; vary: boolean } {
  if (allowed === false) return { vary: false };
  if (allowed === "*") return { value: "*", vary: false };
  if (origin === undefined) return { vary: true };
  if (allowed === true) return { value: origin, vary: true };
  if (typeof allowed === "string" || allowed instanceof RegExp) {
    return matches(origin, allowed) ? { value: origin, vary: true } : { vary: true };
  }
  for (const entry of allowed) if (matches(origin, entry)) return { value: origin, vary: true };
  return { vary: true };
}

function setHeaders(
  options: CorsOptions,
  allowed: CorsOrigin,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const origin = req.headers.origin;
  const { value, vary } = allowOriginFor(allowed, origin);
  if (vary) res.setHeader("Vary", "Origin");
  if (value === undefined) return;
  res.setHeader("Access-Control-Allow-Origin", value);
  if (options.credentials) res.setHeader("Access-Control-Allow-Credentials", "true");
  if (options.exposedHeaders !== undefined) {
    res.setHeader("Access-Control-Expose-Headers", list(options.exposedHeaders));
  }
  if (req.method === "OPTIONS") {
    res.setHeader("Access-Control-Allow-Methods", list(options.methods ?? DEFAULT_METHODS));
    const headers = options.allowedHeaders ?? req.headers["access-control-request-headers"];
    if (headers !== undefined) res.setHeader("Access-Control-Allow-Headers", list(headers));
    if (options.maxAge !== undefined) res.setHeader("Access-Control-Max-Age", String(options.maxAge));
  }
}

/**
 * Puts the CORS headers on `res`, then either answers a preflight (`OPTIONS` → 204) or calls `next`.
 * `next` runs synchronously unless `origin` is a function.
 */
export function applyCors(
  options: CorsOptions,
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
): void {
  const finish = (allowed: CorsOrigin): void => {
    setHeaders(options, allowed, req, res);
    if (req.method === "OPTIONS") {
      res.writeHead(204, { "Content-Length": "0" });
      res.end();
      return;
    }
    next();
  };
  const origin = options.origin ?? "*";
  if (typeof origin !== "function") {
    finish(origin);
    return;
  }
  let answered = false;
  try {
    origin(req.headers.origin, (err, allowed) => {
      if (answered) return;
      answered = true;
      // A failing origin check answers without CORS headers: the browser refuses the response.
      finish(err ? false : (allowed ?? false));
    });
  } catch {
    if (!answered) {
      answered = true;
      finish(false);
    }
  }
}
