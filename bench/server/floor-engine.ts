// The floor's Engine.IO 4: the least a hand-written server on bare `ws` and node:http must do to talk to a
// Socket.IO client — the open packet, the heartbeat, messages on the websocket and polling transports, and
// the polling → websocket upgrade. No limits, options or error answers beyond what the bench's clients need:
// it is the cost a library cannot go below, not a server for real traffic.
// The HTTP side is typed by the little it uses, so a server other than node:http can feed it the same
// calls (net-polling-floor.ts: polling on a hand-written HTTP/1.1 over node:net).
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";

const PATH = "/socket.io/";
/** Engine.IO 4 separates the packets of a polling payload with the ASCII record separator. */
const SEPARATOR = "\x1e";
const PING_INTERVAL = 25_000;
const PING_TIMEOUT = 20_000;
const MAX_PAYLOAD = 1_000_000;

/** What the engine reads of a polling request: node:http's `IncomingMessage`, or the net floor's own. */
export interface FloorRequest {
  readonly url?: string;
  readonly method?: string;
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  destroy(): unknown;
}

/** What the engine calls on a polling response: node:http's `ServerResponse`, or the net floor's own. */
export interface FloorResponse {
  writeHead(status: number, headers?: { "content-type": string }): { end(body?: string): unknown };
  end(body?: string): unknown;
  on(event: "close", listener: () => void): unknown;
}

/** The server the engine listens on: node:http's, or the net floor's (which never emits `upgrade`). */
export interface FloorHttpServer {
  on(event: "request", listener: (req: FloorRequest, res: FloorResponse) => void): unknown;
  on(event: "upgrade", listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
}

/** One Engine.IO session, on polling (until upgraded) or websocket. */
export class FloorSession {
  /** Set once the session is on the websocket transport (directly or after the upgrade). */
  ws: WebSocket | undefined;
  /** Data of the app layer above (the Socket.IO socket). */
  app: unknown;
  alive = true;
  private queue: string[] = [];
  private poll: FloorResponse | undefined;

  constructor(
    readonly sid: string,
    private readonly engine: FloorEngine,
  ) {}

  /** Sends one Engine.IO packet (its text, type character first). */
  send(packet: string): void {
    if (this.ws) this.ws.send(packet, this.engine.sendOptions);
    else {
      this.queue.push(packet);
      this.flush();
    }
  }

  /** Answers the pending long-poll GET with everything queued. */
  flush(): void {
    if (!this.poll || this.queue.length === 0) return;
    const body = this.queue.length === 1 ? this.queue[0]! : this.queue.join(SEPARATOR);
    this.queue = [];
    const res = this.poll;
    this.poll = undefined;
    res.writeHead(200, { "content-type": "text/plain; charset=UTF-8" }).end(body);
  }

  /** A long-poll GET: answered at once when packets wait, else held until one comes. */
  holdPoll(res: FloorResponse): void {
    if (this.poll) {
      res.writeHead(400).end();
      this.engine.closeSession(this);
      return;
    }
    this.poll = res;
    res.on("close", () => {
      if (this.poll === res) this.poll = undefined;
    });
    this.flush();
  }

  /** Ends a held GET with a noop, so the client's polling loop pauses for the upgrade. */
  releasePoll(): void {
    if (this.queue.length === 0) this.queue.push("6");
    this.flush();
  }

  /** Moves the session onto the websocket; packets still queued for polling go out on it, in order. */
  upgrade(ws: WebSocket): void {
    this.releasePoll();
    this.ws = ws;
    for (const packet of this.queue) ws.send(packet, this.engine.sendOptions);
    this.queue = [];
  }

  close(): void {
    this.poll?.writeHead(200).end("1");
    this.poll = undefined;
    this.ws?.terminate();
  }
}

export interface FloorHandlers {
  /** A session opened (the open packet is already sent). */
  open(session: FloorSession): void;
  /** An Engine.IO message packet (type 4) arrived; `data` is its text without the type. */
  message(session: FloorSession, data: string): void;
  /** The session ended (transport closed, heartbeat missed, or the server closed). */
  close(session: FloorSession): void;
}

export class FloorEngine {
  readonly sessions = new Map<string, FloorSession>();
  readonly sendOptions: { compress: boolean };
  private readonly wss: WebSocketServer;
  private readonly heartbeat: NodeJS.Timeout;

  /** `upgrades`: what the polling handshake offers (the net floor serves no websocket: `[]`). */
  constructor(
    server: FloorHttpServer,
    private readonly handlers: FloorHandlers,
    deflate: boolean | { serverNoContextTakeover: true },
    private readonly upgrades: string[] = ["websocket"],
  ) {
    this.sendOptions = { compress: deflate !== false };
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: deflate,
      clientTracking: false,
      maxPayload: MAX_PAYLOAD,
    });
    server.on("request", (req, res) => this.onRequest(req, res));
    server.on("upgrade", (req, socket, head) => this.onUpgrade(req, socket, head));
    // One timer for every session: each interval, a session that did not answer the last ping is closed.
    this.heartbeat = setInterval(() => {
      for (const session of this.sessions.values()) {
        if (!session.alive) this.closeSession(session);
        else {
          session.alive = false;
          session.send("2");
        }
      }
    }, PING_INTERVAL);
    this.heartbeat.unref();
  }

  private openPacket(sid: string, upgrades: string[]): string {
    return `0${JSON.stringify({ sid, upgrades, pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT, maxPayload: MAX_PAYLOAD })}`;
  }

  private newSession(): FloorSession {
    const session = new FloorSession(randomBytes(15).toString("base64url"), this);
    this.sessions.set(session.sid, session);
    return session;
  }

  private onRequest(req: FloorRequest, res: FloorResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== PATH || url.searchParams.get("transport") !== "polling") {
      res.writeHead(400).end();
      return;
    }
    const sid = url.searchParams.get("sid");
    if (sid === null) {
      const session = this.newSession();
      res.writeHead(200, { "content-type": "text/plain; charset=UTF-8" });
      res.end(this.openPacket(session.sid, this.upgrades));
      this.handlers.open(session);
      return;
    }
    const session = this.sessions.get(sid);
    if (!session || session.ws) {
      res.writeHead(400).end();
      return;
    }
    if (req.method === "GET") {
      session.holdPoll(res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain; charset=UTF-8" }).end("ok");
      const body = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString();
      for (const packet of body.split(SEPARATOR)) this.onPacket(session, packet);
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://x");
    const sid = url.searchParams.get("sid");
    const session = sid === null ? undefined : this.sessions.get(sid);
    if (url.pathname !== PATH || (sid !== null && (!session || session.ws))) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (session) this.probe(session, ws);
      else {
        const fresh = this.newSession();
        fresh.ws = ws;
        this.attach(fresh, ws);
        ws.send(this.openPacket(fresh.sid, []));
        this.handlers.open(fresh);
      }
    });
  }

  /** The upgrade of a polling session: `2probe` → `3probe`, then `5` moves the session to the websocket. */
  private probe(session: FloorSession, ws: WebSocket): void {
    const onProbe = (data: Buffer) => {
      const text = data.toString();
      if (text === "2probe") {
        ws.send("3probe");
        session.releasePoll();
      } else if (text === "5") {
        ws.off("message", onProbe);
        session.upgrade(ws);
        this.attach(session, ws);
      } else ws.terminate();
    };
    ws.on("message", onProbe);
    ws.on("error", () => ws.terminate());
  }

  private attach(session: FloorSession, ws: WebSocket): void {
    ws.on("message", (data: Buffer) => this.onPacket(session, data.toString()));
    ws.on("close", () => this.closeSession(session));
    ws.on("error", () => ws.terminate());
  }

  private onPacket(session: FloorSession, packet: string): void {
    const type = packet[0];
    if (type === "4") this.handlers.message(session, packet.slice(1));
    else if (type === "3") session.alive = true;
    else if (type === "1") this.closeSession(session);
  }

  closeSession(session: FloorSession): void {
    if (this.sessions.get(session.sid) !== session) return;
    this.sessions.delete(session.sid);
    session.close();
    this.handlers.close(session);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const session of [...this.sessions.values()]) this.closeSession(session);
    this.wss.close();
  }
}
