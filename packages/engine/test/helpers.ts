// Shared fixtures for the engine's tests: a real HTTP server on 127.0.0.1:0 and a raw HTTP client.
import { once } from "node:events";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EngineServer, type EngineServerOptions, type EngineSocket, sendHint } from "@volley/engine";

export interface Fixture {
  engine: EngineServer;
  http: Server;
  port: number;
  /** http://127.0.0.1:port */
  origin: string;
  close(): Promise<void>;
}

export async function startEngine(options: EngineServerOptions = {}): Promise<Fixture> {
  const http = createServer((_req, res) => {
    res.writeHead(404);
    res.end("not engine");
  });
  const engine = new EngineServer(options);
  engine.attach(http);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const port = (http.address() as AddressInfo).port;
  return {
    engine,
    http,
    port,
    origin: `http://127.0.0.1:${port}`,
    async close() {
      await engine.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  raw: Buffer;
}

/** One HTTP request on its own connection (no keep-alive: nothing outlives the test). */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString("utf8"), raw });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

export const RS = "\x1e";

/** Opens a polling session by hand; returns the sid and the handshake data. */
export async function pollingHandshake(
  fixture: Fixture,
  query = "",
): Promise<{ sid: string; handshake: Record<string, unknown>; body: string }> {
  const res = await rawRequest(fixture.port, "GET", `/engine.io/?EIO=4&transport=polling${query}`);
  if (res.status !== 200) throw new Error(`handshake failed: ${res.status} ${res.body}`);
  const first = res.body.split(RS)[0]!;
  const handshake = JSON.parse(first.slice(1)) as Record<string, unknown>;
  return { sid: handshake.sid as string, handshake, body: res.body };
}

export function poll(fixture: Fixture, sid: string): Promise<RawResponse> {
  return rawRequest(fixture.port, "GET", `/engine.io/?EIO=4&transport=polling&sid=${sid}`);
}

export function post(fixture: Fixture, sid: string, body: string | Buffer): Promise<RawResponse> {
  return rawRequest(fixture.port, "POST", `/engine.io/?EIO=4&transport=polling&sid=${sid}`, body, {
    "Content-Type": "text/plain;charset=UTF-8",
  });
}

/** Resolves with the next session the engine accepts. */
export function nextSession(engine: EngineServer): Promise<EngineSocket> {
  return new Promise((resolve) => engine.once("connection", resolve));
}

/** Opens a polling session by hand: its sid and the engine's side of it. */
export async function pollingSession(fixture: Fixture): Promise<{ sid: string; session: EngineSocket }> {
  const connection = nextSession(fixture.engine);
  const { sid } = await pollingHandshake(fixture);
  return { sid, session: await connection };
}

/** Opens a websocket session by hand (its open packet read): the raw client and the engine's side of it. */
export async function webSocketSession(
  fixture: Fixture,
): Promise<{ c: RawWebSocket; session: EngineSocket }> {
  const connection = nextSession(fixture.engine);
  const c = await rawWebSocket(fixture, "");
  await c.next();
  return { c, session: await connection };
}

/** Sends a poll and resolves once it waits at the engine (the session can write to it): its answer to come. */
export async function waitingPoll(
  fixture: Fixture,
  sid: string,
  session: EngineSocket,
): Promise<{ answer: Promise<RawResponse> }> {
  const answer = poll(fixture, sid);
  while (!session.transport.writable) await new Promise((r) => setImmediate(r));
  return { answer };
}

/**
 * Opens one polling session per reason and shuts each down with a close hint of that reason while no poll
 * of it waits (`shutdown` does not wait for a poll): each then owes its client the hint. Their sids, in order.
 */
export async function oweCloseHints(fixture: Fixture, reasons: readonly string[]): Promise<string[]> {
  const sids: string[] = [];
  for (const reason of reasons) {
    const { sid, session } = await pollingSession(fixture);
    sids.push(sid);
    const gone = closed(session);
    sendHint(session, { reason });
    session.shutdown("server shutting down");
    await gone;
  }
  return sids;
}

/** Resolves with the close reason of a session. */
export function closed(session: EngineSocket): Promise<[string, unknown]> {
  return new Promise((resolve) =>
    session.once("close", (reason, description) => resolve([reason, description])),
  );
}

/** A raw `ws` client with a queue of received messages (text as string, binary as Buffer). */
export interface RawWebSocket {
  ws: import("ws").WebSocket;
  next(): Promise<string | Buffer>;
  closed: Promise<number>;
}

export async function rawWebSocket(fixture: Fixture, query: string): Promise<RawWebSocket> {
  const { WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${fixture.port}/engine.io/?EIO=4&transport=websocket${query}`);
  const queue: Array<string | Buffer> = [];
  const waiters: Array<(m: string | Buffer) => void> = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const message = isBinary ? data : data.toString("utf8");
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const closedPromise = new Promise<number>((resolve) => ws.on("close", (code: number) => resolve(code)));
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    ws,
    closed: closedPromise,
    next: () => {
      const message = queue.shift();
      if (message !== undefined) return Promise.resolve(message);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
