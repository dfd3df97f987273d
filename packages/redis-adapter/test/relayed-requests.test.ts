// What the session's owner does when a server relaying its polling requests dies, step by step on
// real HTTP: a relayed request (X-Volley-Forwarded-By, as SessionForwarding sends it) that breaks
// does not end the session, and the balancer's repeat of it (same `t` parameter) is answered as the
// lost one was — a repeated GET gets the same body, a repeated POST is not applied twice. A direct
// request that breaks still ends the session, as before. sticky-free-kill.test.ts runs the same
// through nginx with a SIGKILLed server.
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { createServer, type IncomingMessage, request, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Server, type Socket } from "volley";
import type { NodeDirectory } from "../src/node-directory.js";
import { SessionForwarding } from "../src/session-forwarding.js";
import { until } from "./helpers.js";

/** A directory in memory: this test has one server, whose sessions are its own. */
class MemoryDirectory implements NodeDirectory {
  private readonly entries = new Map<string, string>();
  async register(id: string, address: string): Promise<void> {
    this.entries.set(id, address);
  }
  async lookup(id: string): Promise<string | undefined> {
    return this.entries.get(id);
  }
  async unregister(id: string): Promise<void> {
    this.entries.delete(id);
  }
}

interface Sent {
  /** Resolves with the answer's status and body; rejects when the connection breaks. */
  answer: Promise<{ status: number; body: string }>;
  /** The request as the server got it (once the engine has taken it). */
  arrived: Promise<IncomingMessage>;
  destroy(): void;
}

describe("relayed polling requests whose relaying server dies", () => {
  let http: HttpServer;
  let io: Server;
  let forwarding: SessionForwarding;
  let port: number;
  const arrivals = new EventEmitter();
  let sid = "";
  let serverSocket: Socket;
  const chats: unknown[] = [];
  const disconnects: string[] = [];

  /** A polling request of the session with token `t`; relayed ones carry the relay header. */
  function send(method: "GET" | "POST", t: string, relayed: boolean, body?: string, partial = false): Sent {
    const arrived = new Promise<IncomingMessage>((resolve) => {
      const onArrival = (req: IncomingMessage) => {
        if (!req.url?.includes(`t=${t}&`) && !req.url?.endsWith(`t=${t}`)) return;
        if (req.method !== method) return;
        arrivals.off("arrived", onArrival);
        resolve(req);
      };
      arrivals.on("arrived", onArrival);
    });
    const req = request({
      port,
      host: "127.0.0.1",
      method,
      agent: false,
      path: `/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ""}&t=${t}`,
      headers: {
        ...(relayed ? { "x-volley-forwarded-by": "deadnode" } : {}),
        ...(body !== undefined
          ? { "content-type": "text/plain", "content-length": Buffer.byteLength(body) }
          : {}),
      },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      });
      req.on("error", reject);
    });
    answer.catch(() => {});
    if (body !== undefined && partial) req.write(body.slice(0, Math.floor(body.length / 2)));
    else if (body !== undefined) req.end(body);
    else req.end();
    return { answer, arrived, destroy: () => req.destroy() };
  }

  async function closedOnServer(req: IncomingMessage): Promise<void> {
    // Not events.once: a socket cut mid-body emits "error" (a parse error) before "close".
    if (!req.socket.destroyed) await new Promise((resolve) => req.socket.once("close", resolve));
  }

  before(async () => {
    http = createServer();
    forwarding = new SessionForwarding(new MemoryDirectory(), { advertiseAddress: "127.0.0.1:1" });
    io = new Server(http, { sessionRouter: forwarding, transports: ["polling"] });
    // After Volley's own listener: the engine has taken the request when this runs.
    http.on("request", (req: IncomingMessage) => arrivals.emit("arrived", req));
    io.on("connection", (socket) => {
      serverSocket = socket;
      socket.on("chat", (n: unknown) => chats.push(n));
      socket.on("disconnect", (reason) => disconnects.push(reason));
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    port = (http.address() as AddressInfo).port;
    await forwarding.ready;
    // Handshake and Socket.IO connect, by hand.
    const open = await send("GET", "h0", false).answer;
    sid = JSON.parse(open.body.split("\x1e")[0]!.slice(1)).sid as string;
    assert.equal((await send("POST", "c0", false, "40").answer).body, "ok");
    const connect = await send("GET", "c1", false).answer;
    assert.match(connect.body, /^40\{"sid"/);
  });

  after(async () => {
    await io.close();
    await forwarding.close();
  });

  it("a repeated GET whose answer was lost gets the same answer, the next GET what is new", async () => {
    const lost = send("GET", "g2", true);
    await lost.arrived;
    serverSocket.emit("hello", 1);
    assert.equal((await lost.answer).body, '42["hello",1]');
    // The relaying server died before passing it on: the balancer sends the same request again.
    const repeat = await send("GET", "g2", false).answer;
    assert.deepEqual(repeat, { status: 200, body: '42["hello",1]' });
    const fresh = send("GET", "g3", false);
    await fresh.arrived;
    serverSocket.emit("hello", 2);
    assert.equal((await fresh.answer).body, '42["hello",2]');
    assert.deepEqual(disconnects, []);
  });

  it("a relayed GET that breaks before its answer leaves the session open", async () => {
    const broken = send("GET", "g4", true);
    const req = await broken.arrived;
    broken.destroy();
    await closedOnServer(req);
    const next = send("GET", "g5", false);
    await next.arrived;
    serverSocket.emit("hello", 3);
    assert.equal((await next.answer).body, '42["hello",3]');
    assert.deepEqual(disconnects, []);
  });

  it("a relayed GET still waiting is replaced by its repeat (its server died unseen)", async () => {
    const stale = send("GET", "g6", true);
    await stale.arrived;
    const repeat = send("GET", "g6", false);
    await repeat.arrived;
    await assert.rejects(stale.answer, "the stale relayed poll is dropped, not answered");
    serverSocket.emit("hello", 4);
    assert.equal((await repeat.answer).body, '42["hello",4]');
    assert.deepEqual(disconnects, []);
  });

  it("a repeated POST is answered ok and applied once", async () => {
    assert.equal((await send("POST", "p2", true, '42["chat",1]').answer).body, "ok");
    assert.equal((await send("POST", "p2", false, '42["chat",1]').answer).body, "ok");
    assert.equal((await send("POST", "p3", false, '42["chat",2]').answer).body, "ok");
    await until(() => chats.length >= 2, "two chats");
    assert.deepEqual(chats, [1, 2]);
  });

  it("a relayed POST broken mid-body is applied once, from its repeat", async () => {
    const broken = send("POST", "p4", true, '42["chat",3]', true);
    const req = await broken.arrived;
    broken.destroy();
    await closedOnServer(req);
    assert.equal((await send("POST", "p4", false, '42["chat",3]').answer).body, "ok");
    await until(() => chats.length >= 3, "three chats");
    assert.deepEqual(chats, [1, 2, 3]);
    assert.deepEqual(disconnects, []);
  });

  it("a direct GET that breaks still ends the session, as without a cluster", async () => {
    const broken = send("GET", "g7", false);
    const req = await broken.arrived;
    broken.destroy();
    await closedOnServer(req);
    await until(() => disconnects.length > 0, "the session ended");
    assert.deepEqual(disconnects, ["transport error"]);
  });
});
