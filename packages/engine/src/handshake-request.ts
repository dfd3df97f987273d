import { type IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Socket } from "node:net";

/**
 * What a session keeps of its handshake request: `headers`, `url` and the connection, a few references
 * instead of the whole `http.IncomingMessage` (its stream state, raw header list and parser leftovers: about
 * 1 KB per idle connection). After the `connection` event the headers, url and remote address are one
 * string, and the `headers` object is built again on first access (idle connections rarely read it; a
 * headers object and its value strings cost ~300 bytes). `session.handshake` is this record; `session.request` rebuilds an
 * `IncomingMessage` from it on demand.
 */
export class HandshakeRequest {
  /** The connection the handshake came on (a websocket session's own connection). */
  readonly socket: Socket;
  /**
   * `remoteAddress`, `url`, then (once compacted) each header's name and value, separated by "\n", which
   * none of them may contain (Node's HTTP parser refuses it).
   */
  private packed: string;
  /** The headers object: the request's own until {@link compact}, then built again on first access. */
  private headersObject: IncomingHttpHeaders | undefined;
  /** What the application added to the original request; declared only, so most records have no slot. */
  declare private extras?: Record<string, unknown>;

  constructor(req: IncomingMessage) {
    this.socket = req.socket;
    // Read now: a polling handshake's connection may be gone by the time anyone asks.
    this.packed = [req.socket?.remoteAddress ?? "", req.url ?? "/"].join("\n");
    this.headersObject = req.headers;
  }

  /** The request headers (lower-case names), as `IncomingMessage.headers`. */
  get headers(): IncomingHttpHeaders {
    if (this.headersObject === undefined) this.headersObject = unpackHeaders(this.packed);
    return this.headersObject;
  }

  /** The request URL (path and query), as `IncomingMessage.url`. */
  get url(): string {
    const packed = this.packed;
    const start = packed.indexOf("\n") + 1;
    const end = packed.indexOf("\n", start);
    return packed.slice(start, end < 0 ? packed.length : end);
  }

  /** Address of the client as that connection saw it ("" when unknown). */
  get remoteAddress(): string {
    return this.packed.slice(0, this.packed.indexOf("\n"));
  }

  /**
   * @internal Packs the headers into the record's one string and lets the object go (it is built again
   * if anyone asks). Called once the `connection` event is over, so changes made to the headers until
   * then are kept. Headers that cannot be packed (a list value) stay an object.
   */
  compact(): void {
    const headers = this.headersObject;
    if (headers === undefined) return;
    const parts = [this.remoteAddress, this.url];
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (typeof value !== "string" || value.includes("\n") || name.includes("\n")) return;
      parts.push(name, value);
    }
    // Joined, not concatenated: a cons-string tree would cost more than the parts.
    this.packed = parts.join("\n");
    this.headersObject = undefined;
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

/** The headers object again, from a compacted record. */
function unpackHeaders(packed: string): IncomingHttpHeaders {
  const parts = packed.split("\n");
  const headers: IncomingHttpHeaders = {};
  for (let i = 2; i + 1 < parts.length; i += 2) headers[parts[i]!] = parts[i + 1]!;
  return headers;
}

let baseKeys: Set<string> | undefined;

/** The own keys Node itself puts on a request (constructor fields, and `parser` on upgrade requests). */
function nodeKeys(): Set<string> {
  if (baseKeys === undefined) {
    baseKeys = new Set([...Object.keys(new IncomingMessage(null as never)), "parser", "_eventsCount"]);
  }
  return baseKeys;
}
