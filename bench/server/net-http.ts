// A bench floor, not production code: the least HTTP/1.1 a server on node:net must do to serve Engine.IO
// long-polling to the bench's clients. Request line, headers up to CRLFCRLF (only Content-Length,
// Connection and Transfer-Encoding looked at), Content-Length bodies, keep-alive; one request per
// connection at a time (the bytes of a pipelined next request wait until the answer is written). Answers are
// hand-built (status line, Content-Type, Content-Length, body) and leave in one socket.write. Missing on
// purpose, and owed by any real server: chunked bodies, a Date header, header/body/idle timeouts, limits on
// header count, Expect: 100-continue, HEAD, absolute-form targets, and most error answers.
import { createServer, type Socket } from "node:net";
import type { FloorHttpServer, FloorRequest, FloorResponse } from "./floor-engine.js";

const HEAD_END = "\r\n\r\n";
const MAX_HEAD = 8192;
const MAX_BODY = 1_000_000;
const REASONS: Record<number, string> = { 200: "OK", 400: "Bad Request", 413: "Payload Too Large" };

/** The parts of a request head the floor uses. */
interface RequestHead {
  method: string;
  url: string;
  contentLength: number;
  keepAlive: boolean;
  /** Offset of the body in the connection's buffer. */
  bodyStart: number;
}

/** One request and its response: the engine gets it as both (the `req` and the `res` of node:http). */
class NetExchange implements FloorRequest, FloorResponse {
  private dataListener: ((chunk: Buffer) => void) | undefined;
  private endListener: (() => void) | undefined;
  private closeListener: (() => void) | undefined;
  private status = 200;
  private contentType: string | undefined;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly keepAlive: boolean,
    private readonly body: Buffer | undefined,
    private readonly connection: NetConnection,
  ) {}

  /** One listener per event (all the engine registers); `close` fires only if the socket dies unanswered. */
  on(event: "data", listener: (chunk: Buffer) => void): this;
  on(event: "end" | "close", listener: () => void): this;
  on(event: "data" | "end" | "close", listener: ((chunk: Buffer) => void) | (() => void)): this {
    if (event === "data") this.dataListener = listener;
    else if (event === "end") this.endListener = listener as () => void;
    else this.closeListener = listener as () => void;
    return this;
  }

  destroy(): void {
    this.connection.socket.destroy();
  }

  writeHead(status: number, headers?: { "content-type": string }): this {
    this.status = status;
    this.contentType = headers?.["content-type"];
    return this;
  }

  end(body = ""): this {
    this.connection.answer(this, this.status, this.contentType, body);
    return this;
  }

  /** After the request handler ran: the body (already whole in memory), then its end. */
  deliverBody(): void {
    if (this.body !== undefined) this.dataListener?.(this.body);
    this.endListener?.();
  }

  socketClosed(): void {
    this.closeListener?.();
  }
}

/** `name` (lower case) equals the header name at head[at, at + name.length), whatever its case. */
function isHeader(head: string, at: number, colon: number, name: string): boolean {
  return colon - at === name.length && head.slice(at, colon).toLowerCase() === name;
}

/** The request line and the three headers the floor needs; undefined for anything it does not serve. */
function parseHead(head: string, bodyStart: number): RequestHead | "too large" | undefined {
  const lineEnd = head.indexOf("\r\n");
  const requestLine = lineEnd < 0 ? head : head.slice(0, lineEnd);
  const methodEnd = requestLine.indexOf(" ");
  const urlEnd = requestLine.indexOf(" ", methodEnd + 1);
  if (methodEnd <= 0 || urlEnd < 0) return undefined;
  const version = requestLine.slice(urlEnd + 1);
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") return undefined;
  const parsed: RequestHead = {
    method: requestLine.slice(0, methodEnd),
    url: requestLine.slice(methodEnd + 1, urlEnd),
    contentLength: 0,
    keepAlive: version === "HTTP/1.1",
    bodyStart,
  };
  let at = lineEnd < 0 ? head.length : lineEnd + 2;
  while (at < head.length) {
    let next = head.indexOf("\r\n", at);
    if (next < 0) next = head.length;
    const colon = head.indexOf(":", at);
    if (colon <= at || colon > next) return undefined;
    if (isHeader(head, at, colon, "content-length")) {
      const value = head.slice(colon + 1, next).trim();
      if (!/^\d{1,9}$/.test(value)) return undefined;
      parsed.contentLength = Number(value);
      if (parsed.contentLength > MAX_BODY) return "too large";
    } else if (isHeader(head, at, colon, "connection")) {
      const value = head.slice(colon + 1, next).toLowerCase();
      if (value.includes("close")) parsed.keepAlive = false;
      else if (value.includes("keep-alive")) parsed.keepAlive = true;
    } else if (isHeader(head, at, colon, "transfer-encoding")) return undefined;
    at = next + 2;
  }
  return parsed;
}

/** One client connection: buffers bytes into requests, one in flight at a time. */
class NetConnection {
  private buffer: Buffer | undefined;
  /** A head whose body has not all arrived yet. */
  private head: RequestHead | undefined;
  /** The request waiting for its answer. */
  private exchange: NetExchange | undefined;
  private parsing = false;

  constructor(
    readonly socket: Socket,
    private readonly onRequest: (req: FloorRequest, res: FloorResponse) => void,
  ) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer === undefined ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on("close", () => this.exchange?.socketClosed());
    socket.on("error", () => socket.destroy());
  }

  /** Writes the answer to the pending request; then reads on, or closes when it was not keep-alive. */
  answer(exchange: NetExchange, status: number, contentType: string | undefined, body: string): void {
    if (exchange !== this.exchange) return;
    this.exchange = undefined;
    const type = contentType === undefined ? "" : `Content-Type: ${contentType}\r\n`;
    const close = exchange.keepAlive ? "" : "Connection: close\r\n";
    this.socket.write(
      `HTTP/1.1 ${status} ${REASONS[status] ?? ""}\r\n${type}${close}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    if (!exchange.keepAlive) this.socket.end();
    else if (!this.parsing) this.parse();
  }

  private parse(): void {
    this.parsing = true;
    while (this.exchange === undefined && this.buffer !== undefined && !this.socket.destroyed) {
      const buffer = this.buffer;
      if (this.head === undefined) {
        const end = buffer.indexOf(HEAD_END);
        if (end < 0) {
          if (buffer.length > MAX_HEAD) this.reject(400);
          break;
        }
        const head = parseHead(buffer.toString("latin1", 0, end), end + HEAD_END.length);
        if (head === undefined || head === "too large") {
          this.reject(head === undefined ? 400 : 413);
          break;
        }
        this.head = head;
      }
      const { bodyStart, contentLength } = this.head;
      if (buffer.length < bodyStart + contentLength) break;
      const bodyEnd = bodyStart + contentLength;
      const body = contentLength > 0 ? buffer.subarray(bodyStart, bodyEnd) : undefined;
      this.buffer = bodyEnd < buffer.length ? buffer.subarray(bodyEnd) : undefined;
      const exchange = new NetExchange(this.head.method, this.head.url, this.head.keepAlive, body, this);
      this.head = undefined;
      this.exchange = exchange;
      this.onRequest(exchange, exchange);
      exchange.deliverBody();
    }
    this.parsing = false;
  }

  private reject(status: number): void {
    this.socket.end(
      `HTTP/1.1 ${status} ${REASONS[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
    this.buffer = undefined;
  }
}

/** An HTTP/1.1 server on node:net with node:http's `request` event shape; it never emits `upgrade`. */
export class NetHttpServer implements FloorHttpServer {
  private readonly sockets = new Set<Socket>();
  private requestListener: (req: FloorRequest, res: FloorResponse) => void = () => {};
  // noDelay as node:http sets it: answers leave at once instead of waiting on Nagle.
  private readonly server = createServer({ noDelay: true }, (socket) => {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    new NetConnection(socket, (req, res) => this.requestListener(req, res));
  });

  /** Only `request` is ever emitted; an `upgrade` listener is accepted and never called. */
  on(event: "request", listener: (req: FloorRequest, res: FloorResponse) => void): this;
  on(event: "upgrade", listener: (...args: never[]) => unknown): this;
  on(
    event: "request" | "upgrade",
    listener: ((req: FloorRequest, res: FloorResponse) => void) | ((...args: never[]) => unknown),
  ): this {
    if (event === "request")
      this.requestListener = listener as (req: FloorRequest, res: FloorResponse) => void;
    return this;
  }

  /** Listens on 127.0.0.1 on a free port; resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        const address = this.server.address();
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
  }

  /** Destroys every connection, then stops listening. */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
