import { type IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Socket } from "node:net";

/**
 * What a session keeps of its handshake request: `headers`, `url` and the connection, a few references
 * instead of the whole `http.IncomingMessage` (its stream state, raw header list and parser leftovers: about
 * 1 KB per idle connection). `session.handshake` is this record; `session.request` rebuilds an
 * `IncomingMessage` from it on demand.
 */
export class HandshakeRequest {
  /** The request headers (lower-case names), as `IncomingMessage.headers`. */
  readonly headers: IncomingHttpHeaders;
  /** The request URL (path and query), as `IncomingMessage.url`. */
  readonly url: string;
  /** The connection the handshake came on (a websocket session's own connection). */
  readonly socket: Socket;
  /** Address of the client as that connection saw it ("" when unknown). */
  readonly remoteAddress: string;
  /** What the application added to the original request; declared only, so most records have no slot. */
  declare private extras?: Record<string, unknown>;

  constructor(req: IncomingMessage) {
    this.headers = req.headers;
    this.url = req.url ?? "/";
    this.socket = req.socket;
    // Read now: a polling handshake's connection may be gone by the time anyone asks.
    this.remoteAddress = req.socket?.remoteAddress ?? "";
  }

  /** The request method: always "GET" (the server refuses any other handshake). */
  get method(): string {
    return "GET";
  }

  /** Alias of {@link socket}, as `IncomingMessage.connection`. */
  get connection(): Socket {
    return this.socket;
  }

  /** Whether the handshake came over TLS. */
  get secure(): boolean {
    return (this.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  }

  /**
   * @internal Keeps the properties the application set on the original request (own enumerable ones that
   * Node does not set, e.g. `req.user` from `allowRequest`), to put them on the rebuilt request.
   */
  keepExtras(req: IncomingMessage): void {
    const base = nodeKeys();
    const source = req as unknown as Record<string, unknown>;
    let extras: Record<string, unknown> | undefined;
    for (const key of Object.keys(req)) {
      if (base.has(key)) continue;
      if (extras === undefined) extras = {};
      extras[key] = source[key];
    }
    if (extras !== undefined) this.extras = extras;
  }

  /**
   * A new `IncomingMessage` with this record's headers (and `rawHeaders` made from them), url, method and
   * socket, HTTP/1.1, an empty, complete body, and the properties the application had set on the original
   * (see `keepExtras`). It is not the original object.
   */
  toIncomingMessage(): IncomingMessage {
    const req = new IncomingMessage(this.socket);
    req.headers = this.headers;
    const rawHeaders: string[] = [];
    for (const name of Object.keys(this.headers)) {
      const value = this.headers[name];
      if (typeof value === "string") rawHeaders.push(name, value);
      else if (value !== undefined) for (const v of value) rawHeaders.push(name, v);
    }
    req.rawHeaders = rawHeaders;
    req.url = this.url;
    req.method = this.method;
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.httpVersion = "1.1";
    req.complete = true;
    req.push(null);
    if (this.extras !== undefined) Object.assign(req, this.extras);
    return req;
  }
}

let baseKeys: Set<string> | undefined;

/** The own keys Node itself puts on a request (constructor fields, and `parser` on upgrade requests). */
function nodeKeys(): Set<string> {
  if (baseKeys === undefined) {
    baseKeys = new Set([...Object.keys(new IncomingMessage(null as never)), "parser", "_eventsCount"]);
  }
  return baseKeys;
}
