import type { IncomingMessage, ServerResponse } from "node:http";

/** Response headers a listener may add to or change (`Set-Cookie` may be a list). */
export type ResponseHeaders = Record<string, string | string[]>;

/** The `initial_headers` / `headers` events of a server (see `EngineServerEvents`). */
export interface HeaderEvents {
  listenerCount(event: "headers" | "initial_headers"): number;
  emit(event: "headers" | "initial_headers", headers: ResponseHeaders, req: IncomingMessage): boolean;
}

/** Whether any listener may edit the headers of a response (`initial`: the handshake's). */
export function hasHeaderListeners(events: HeaderEvents, initial: boolean): boolean {
  return events.listenerCount("headers") > 0 || (initial && events.listenerCount("initial_headers") > 0);
}

/** Lets `initial_headers`/`headers` listeners edit a polling response's headers. */
export function applyHeaderListeners(
  events: HeaderEvents,
  req: IncomingMessage,
  res: ServerResponse,
  initial: boolean,
): void {
  if (!hasHeaderListeners(events, initial)) return;
  const headers: ResponseHeaders = {};
  const cookie = res.getHeader("Set-Cookie");
  if (typeof cookie === "string") headers["Set-Cookie"] = cookie;
  if (initial) events.emit("initial_headers", headers, req);
  events.emit("headers", headers, req);
  for (const name of Object.keys(headers)) res.setHeader(name, headers[name]!);
}

/** Lets `initial_headers`/`headers` listeners add header lines to a websocket's 101 answer. */
export function addHeaderLines(
  events: HeaderEvents,
  lines: string[],
  req: IncomingMessage,
  initial: boolean,
): void {
  if (!hasHeaderListeners(events, initial)) return;
  const headers: ResponseHeaders = {};
  if (initial) events.emit("initial_headers", headers, req);
  events.emit("headers", headers, req);
  for (const name of Object.keys(headers)) {
    const value = headers[name]!;
    if (typeof value === "string") lines.push(`${name}: ${value}`);
    else for (const v of value) lines.push(`${name}: ${v}`);
  }
}
