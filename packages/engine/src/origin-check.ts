import type { IncomingMessage } from "node:http";
import {
  type CorsOptions,
  type CorsOptionsDelegate,
  type CorsOrigin,
  originAllowed,
  resolveCors,
  resolveCorsOrigin,
} from "./cors.js";

/**
 * Which browser origins may open a WebSocket (cross-site WebSocket hijacking: browsers send cookies on a
 * cross-origin upgrade, and no CORS rule stops it). A fixed set (string, RegExp, array; `"*"` any), or a
 * function deciding per request (it also sees requests without `Origin`).
 */
export type AllowedOrigins =
  | CorsOrigin
  | ((origin: string | undefined, req: IncomingMessage) => boolean | Promise<boolean>);

/** Decides one upgrade: calls back with true to accept. */
export type OriginCheck = (req: IncomingMessage, done: (allowed: boolean, source: string) => void) => void;

/**
 * The check of the `Origin` of WebSocket upgrades, or undefined when every origin is accepted.
 * `allowedOrigins` when given; otherwise the `cors` option's origins (a string, RegExp, array, or function
 * form of `cors.origin`, or a `cors` delegate); no check without `cors`, or when it allows any origin.
 * A request without `Origin` (not a browser) and a same-origin one (`Origin`'s host is the `Host` header)
 * pass every check except a function's, which decides.
 */
export function originCheck(
  allowedOrigins: AllowedOrigins | undefined,
  cors: CorsOptions | CorsOptionsDelegate | false,
): OriginCheck | undefined {
  if (allowedOrigins !== undefined) {
    if (typeof allowedOrigins === "function") return functionCheck(allowedOrigins);
    if (allowedOrigins === true || allowedOrigins === "*") return undefined;
    return (req, done) => {
      const origin = req.headers.origin;
      done(
        origin === undefined || sameOrigin(req, origin) || originAllowed(allowedOrigins, origin),
        "allowedOrigins",
      );
    };
  }
  if (cors === false) return undefined;
  if (typeof cors !== "function") {
    const value = cors.origin ?? "*";
    // No CORS restriction configured: nothing to be consistent with.
    if (value === true || value === "*" || value === false) return undefined;
  }
  return (req, done) => {
    const origin = req.headers.origin;
    if (origin === undefined || sameOrigin(req, origin)) {
      done(true, "cors.origin");
      return;
    }
    resolveCors(cors, req, (options) => {
      if (options === false) {
        done(false, "cors");
        return;
      }
      resolveCorsOrigin(options, origin, (allowed) => {
        // `origin: false` in a per-request answer refuses; a static `false` disabled CORS (no check, above).
        done(originAllowed(allowed, origin), "cors.origin");
      });
    });
  };
}

function functionCheck(
  decide: (origin: string | undefined, req: IncomingMessage) => boolean | Promise<boolean>,
): OriginCheck {
  return (req, done) => {
    let answered = false;
    const answer = (allowed: unknown): void => {
      if (answered) return;
      answered = true;
      done(allowed === true, "allowedOrigins");
    };
    try {
      const result = decide(req.headers.origin, req);
      if (result instanceof Promise) result.then(answer, () => answer(false));
      else answer(result);
    } catch {
      answer(false);
    }
  };
}

/** Whether the page is served by this host (no CORS needed for it, so no origin rule may refuse it). */
function sameOrigin(req: IncomingMessage, origin: string): boolean {
  const host = req.headers.host;
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
