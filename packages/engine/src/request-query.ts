import type { IncomingMessage } from "node:http";

/** The path part of a request URL (no query string). */
export function pathnameOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/**
 * The query parameters the engine reads (Engine.IO 4 "Transports" and protocol 3's `b64`/`j`); `null`
 * when absent. As with `URLSearchParams.get`, the first occurrence of a name counts.
 */
export interface EngineQuery {
  transport: string | null;
  sid: string | null;
  EIO: string | null;
  /** Protocol 3: the client cannot take binary in polling payloads. */
  b64: string | null;
  /** Protocol 3: JSONP polling (refused). */
  j: string | null;
}

type EngineQueryKey = keyof EngineQuery;

/**
 * Reads the engine's parameters from a request URL in one pass over the query string, without building a
 * `URLSearchParams` (every polling request is parsed: this is on the hot path). Names and values are
 * decoded as `application/x-www-form-urlencoded`, as `URLSearchParams` does, but only when they hold `%`
 * or `+` (the engine's own values never do).
 */
export function queryOf(req: IncomingMessage): EngineQuery {
  const query: EngineQuery = { transport: null, sid: null, EIO: null, b64: null, j: null };
  const url = req.url ?? "";
  let start = url.indexOf("?") + 1;
  if (start === 0) return query;
  // As URLSearchParams (which the engine used before): a second "?" right after the first is dropped.
  if (url.charCodeAt(start) === 63) start++;
  const end = url.length;
  while (start <= end) {
    let next = url.indexOf("&", start);
    if (next === -1) next = end;
    if (next > start) readPair(query, url, start, next);
    start = next + 1;
  }
  return query;
}

/** One `name=value` (or bare `name`) between `start` and `end`: stored if it is one of ours, first wins. */
function readPair(query: EngineQuery, url: string, start: number, end: number): void {
  let eq = url.indexOf("=", start);
  if (eq === -1 || eq > end) eq = end;
  const name = decodeComponent(url.slice(start, eq));
  if (!isEngineKey(name) || query[name] !== null) return;
  query[name] = eq === end ? "" : decodeComponent(url.slice(eq + 1, end));
}

function isEngineKey(name: string): name is EngineQueryKey {
  return name === "transport" || name === "sid" || name === "EIO" || name === "b64" || name === "j";
}

/** Form decoding (`+` is a space, `%XX` a byte of UTF-8); malformed escapes stay as written. */
function decodeComponent(text: string): string {
  if (text.indexOf("%") === -1 && text.indexOf("+") === -1) return text;
  // Rare (never the engine's own values): the lenient decoding of the platform, so both agree exactly.
  return new URLSearchParams(`x=${text}`).get("x") ?? "";
}
