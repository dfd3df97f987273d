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

/**
 * The `cors` option's function form, as the `cors` package (and so engine.io) takes it: decide the options per
 * request, `cb(null, options)`; `cb(err)` answers without CORS headers.
 */
export type CorsOptionsDelegate = (
  req: IncomingMessage,
  cb: (err: Error | null, options?: CorsOptions) => void,
) => void;

const DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE";

function list(value: string | string[]): string {
  return typeof value === "string" ? value : value.join(",");
}

function matches(origin: string, allowed: string | RegExp): boolean {
  if (typeof allowed === "string") return origin === allowed;
  allowed.lastIndex = 0; // a /g or /y pattern keeps state between tests
  return allowed.test(origin);
}

/** Whether `origin` is allowed by an `origin` value (`true` and `"*"` allow any; `false` none). */
export function originAllowed(allowed: CorsOrigin, origin: string): boolean {
  if (allowed === true || allowed === "*") return true;
  if (allowed === false) return false;
  if (typeof allowed === "string" || allowed instanceof RegExp) return matches(origin, allowed);
  for (const entry of allowed) if (matches(origin, entry)) return true;
  return false;
}

/**
 * Resolves the `cors` option for one request: the object itself, or the delegate's answer (an error or a
 * throw means no CORS headers: `false`).
 */
export function resolveCors(
  cors: CorsOptions | CorsOptionsDelegate,
  req: IncomingMessage,
  next: (options: CorsOptions | false) => void,
): void {
  if (typeof cors !== "function") {
    next(cors);
    return;
  }
  let answered = false;
  const answer = (options: CorsOptions | false): void => {
    if (answered) return;
    answered = true;
    next(options);
  };
  try {
    cors(req, (err, options) => answer(err || options === undefined ? false : options));
  } catch {
    answer(false);
  }
}

/** Resolves an `origin` value for one request (runs its function form). */
export function resolveCorsOrigin(
  options: CorsOptions,
  origin: string | undefined,
  next: (allowed: CorsOrigin) => void,
): void {
  const value = options.origin ?? "*";
  if (typeof value !== "function") {
    next(value);
    return;
  }
  let answered = false;
  const answer = (allowed: CorsOrigin): void => {
    if (answered) return;
    answered = true;
    next(allowed);
  };
  try {
    // A failing origin check answers without CORS headers: the browser refuses the response.
    value(origin, (err, allowed) => answer(err ? false : (allowed ?? false)));
  } catch {
    answer(false);
  }
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
 * `next` runs synchronously unless `cors` or its `origin` is a function.
 */
export function applyCors(
  cors: CorsOptions | CorsOptionsDelegate,
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
): void {
  resolveCors(cors, req, (options) => {
    const finish = (allowed: CorsOrigin): void => {
      if (options !== false) setHeaders(options, allowed, req, res);
      if (req.method === "OPTIONS") {
        res.writeHead(204, { "Content-Length": "0" });
        res.end();
        return;
      }
      next();
    };
    if (options === false) finish(false);
    else resolveCorsOrigin(options, req.headers.origin, finish);
  });
}
