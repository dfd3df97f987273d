// Session forwarding between two in-process servers on real Redis, spoken to with raw Engine.IO
// requests so each request goes exactly where the test says: relayed polling and upgrades, the loop
// guard, unknown and dead owners, the owner's body limit, X-Forwarded-For, leaving the directory, and a
// close hint owed to a polling client reaching it through the other server.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Server, type ServerOptions, type Socket } from "volley";
import { ManualClock } from "../../engine/test/manual-clock.js";
import { WebSocket } from "ws";
import {
  createAdapter,
  createSessionForwarding,
  RedisNodeDirectory,
  type SessionForwarding,
} from "../src/index.js";
import { uniqueKey, useRedis } from "./helpers.js";

const redis = useRedis();

interface TestNode {
  io: Server;
  http: HttpServer;
  forwarding: SessionForwarding;
  url: string;
  pub: Redis;
  /** Headers of the polling requests this server answered. */
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function startNode(key: string, options: Partial<ServerOptions> = {}): Promise<TestNode> {
  const pub = new Redis(redis.port, "127.0.0.1");
  const sub = pub.duplicate();
  const http = createServer();
  const forwarding = createSessionForwarding(pub, { key, server: http });
  const io = new Server(http, {
    adapter: createAdapter(pub, sub, { key }),
    sessionRouter: forwarding,
    ...options,
  });
  const seen: IncomingHttpHeaders[] = [];
  io.engine.on("headers", (_headers, req) => seen.push(req.headers));
  io.on("connection", (socket: Socket) => {
    socket.on("ping", (n: number) => socket.emit("pong", n));
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  await forwarding.ready;
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    io,
    http,
    forwarding,
    url,
    pub,
    seen,
    async close() {
      await io.close();
      await forwarding.close();
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

const POLLING = "/socket.io/?EIO=4&transport=polling";

/** Opens an Engine.IO session on `url` and connects it to the main namespace; returns its sid. */
async function openSession(url: string): Promise<string> {
  const open = await (await fetch(`${url}${POLLING}`)).text();
  assert.equal(open[0], "0", open);
  const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  assert.equal(await post(url, sid, "40"), "ok");
  const connected = await poll(url, sid);
  assert.match(connected, /^40\{"sid":/);
  return sid;
}

async function post(
  url: string,
  sid: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await fetch(`${url}${POLLING}&sid=${sid}`, { method: "POST", body, headers });
  return `${res.status === 200 ? "" : `${res.status} `}${await res.text()}`;
}

async function poll(url: string, sid: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}${POLLING}&sid=${sid}`, { headers });
  return `${res.status === 200 ? "" : `${res.status} `}${await res.text()}`;
}

const UNKNOWN_SID = '400 {"code":1,"message":"Session ID unknown"}';

describe("session forwarding between two servers", () => {
  const key = uniqueKey();
  let a: TestNode;
  let b: TestNode;

  before(async () => {
    a = await startNode(key, { maxHttpBufferSize: 10_000 });
    b = await startNode(key, { maxHttpBufferSize: 10_000 });
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("makes session ids that name their server", async () => {
    const sid = await openSession(a.url);
    assert.equal(sid.slice(0, 9), `${a.forwarding.nodeId}.`);
    assert.equal(sid.length, 29);
    assert.ok(a.io.engine.sessions.has(sid));
  });

  it("relays polling requests to the owner, with X-Forwarded-For and the loop guard", async () => {
    const sid = await openSession(a.url);
    const before = b.forwarding.stats().forwardedRequests;
    a.seen.length = 0;
    assert.equal(await post(b.url, sid, '42["ping",1]', { "x-forwarded-for": "203.0.113.7" }), "ok");
    assert.equal(await poll(b.url, sid), '42["pong",1]');
    assert.equal(b.forwarding.stats().forwardedRequests - before, 2);
    // The owner saw the client's chain plus the address the relaying server saw, and who relayed.
    const relayed = a.seen.find((h) => h["x-volley-forwarded-by"] !== undefined);
    assert.ok(relayed, "the owner answered a relayed request");
    assert.equal(relayed["x-volley-forwarded-by"], b.forwarding.nodeId);
    assert.equal(relayed["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
  });

  it("never relays a relayed request again (loop guard): 400 as without forwarding", async () => {
    const sid = await openSession(a.url);
    const before = b.forwarding.stats().forwardedRequests;
    assert.equal(
      await post(b.url, sid, '42["ping",2]', { "x-volley-forwarded-by": "someone1" }),
      UNKNOWN_SID,
    );
    assert.equal(b.forwarding.stats().forwardedRequests, before);
    // The session itself is untouched.
    assert.equal(await post(a.url, sid, '42["ping",3]'), "ok");
    assert.equal(await poll(a.url, sid), '42["pong",3]');
  });

  it("refuses a sid whose server is not in the directory, or is its own and gone", async () => {
    const refused = b.forwarding.stats().refused;
    assert.equal(await poll(b.url, "ZZZZZZZZ.AAAAAAAAAAAAAAAAAAAA"), UNKNOWN_SID);
    assert.equal(b.forwarding.stats().refused, refused + 1);
    assert.equal(await poll(b.url, `${b.forwarding.nodeId}.AAAAAAAAAAAAAAAAAAAA`), UNKNOWN_SID);
    assert.equal(await poll(b.url, "not-an-owned-sid"), UNKNOWN_SID);
    assert.equal(b.forwarding.stats().refused, refused + 1);
  });

  it("refuses (400, the client reconnects) when the owner is dead", async () => {
    // A server that registered and died: its port is closed now.
    const dead = createServer().listen(0, "127.0.0.1");
    await once(dead, "listening");
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    await new RedisNodeDirectory(a.pub, key).register("deadnode", `127.0.0.1:${port}`, 10_000);
    const refused = b.forwarding.stats().refused;
    assert.equal(await post(b.url, "deadnode.AAAAAAAAAAAAAAAAAAAA", '42["x"]'), UNKNOWN_SID);
    assert.equal(await poll(b.url, "deadnode.AAAAAAAAAAAAAAAAAAAA"), UNKNOWN_SID);
    assert.equal(b.forwarding.stats().refused, refused + 2);
    // A dead upgrade target is refused on the socket the same way.
    const ws = new WebSocket(
      `${b.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket&sid=deadnode.AAAAAAAAAAAAAAAAAAAA`,
    );
    const [, res] = (await once(ws, "unexpected-response")) as [unknown, { statusCode: number }];
    assert.equal(res.statusCode, 400);
    ws.on("error", () => {});
    ws.terminate();
  });

  it("relays the owner's 413 for an oversized body; the session goes on", async () => {
    const sid = await openSession(a.url);
    const big = `4${"x".repeat(20_000)}`;
    assert.equal(
      await post(b.url, sid, big),
      '413 {"code":3,"message":"payload exceeds maxHttpBufferSize (10000 bytes)"}',
    );
    assert.equal(await post(b.url, sid, '42["ping",4]'), "ok");
    assert.equal(await poll(b.url, sid), '42["pong",4]');
  });

  it("relays a WebSocket upgrade to the owner and tunnels it until it closes", async () => {
    const sid = await openSession(a.url);
    const ws = new WebSocket(
      `${b.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket&sid=${sid}`,
    );
    await once(ws, "open");
    const messages: string[] = [];
    ws.on("message", (data) => messages.push(String(data)));
    ws.send("2probe");
    const waitFor = async (text: string) => {
      for (let i = 0; i < 200 && !messages.includes(text); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(messages.includes(text), `got ${text} (have ${JSON.stringify(messages)})`);
    };
    await waitFor("3probe");
    // The pending poll is released (noop) once the upgrade completes; any GET now is answered "6".
    const released = poll(a.url, sid);
    ws.send("5");
    assert.equal(await released, "6");
    ws.send('42["ping",5]');
    await waitFor('42["pong",5]');
    assert.equal(a.io.engine.sessions.get(sid)?.transport.name, "websocket");
    assert.deepEqual(b.forwarding.tunnelledSessions(), [sid]);
    assert.equal(b.forwarding.stats().openTunnels, 1);
    ws.close();
    await once(ws, "close");
    for (let i = 0; i < 200 && b.forwarding.stats().openTunnels > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(b.forwarding.stats().openTunnels, 0);
  });

  it("adds little latency: median polling round trip direct and relayed", async () => {
    const sid = await openSession(a.url);
    const roundTrip = async (url: string, n: number) => {
      const start = performance.now();
      assert.equal(await post(url, sid, `42["ping",${n}]`), "ok");
      assert.equal(await poll(url, sid), `42["pong",${n}]`);
      return performance.now() - start;
    };
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    const direct: number[] = [];
    const relayed: number[] = [];
    for (let i = 0; i < 100; i++) {
      direct.push(await roundTrip(a.url, i));
      relayed.push(await roundTrip(b.url, i));
    }
    console.log(
      `# POST+GET round trip, median of 100: direct ${median(direct).toFixed(2)} ms, relayed ${median(relayed).toFixed(2)} ms`,
    );
  });

  it("leaves the directory on close", async () => {
    const key2 = uniqueKey();
    const node = await startNode(key2);
    const directory = new RedisNodeDirectory(node.pub, key2);
    assert.equal(await directory.lookup(node.forwarding.nodeId), node.url.slice("http://".length));
    const pub = new Redis(redis.port, "127.0.0.1");
    try {
      await node.close();
      assert.equal(await new RedisNodeDirectory(pub, key2).lookup(node.forwarding.nodeId), undefined);
    } finally {
      await pub.quit();
    }
  });
});

describe("session forwarding options", () => {
  it("checks every option and names the bad one", () => {
    const pub = new Redis({ lazyConnect: true });
    const server = createServer();
    assert.throws(
      () => createSessionForwarding(pub, {}),
      /option server or option advertiseAddress is required/,
    );
    assert.throws(
      () => createSessionForwarding(pub, { advertiseAddress: "nohost" }),
      /option advertiseAddress/,
    );
    assert.throws(() => createSessionForwarding(pub, { server, key: "" }), /option key/);
    assert.throws(() => createSessionForwarding(pub, { server, nodeTtl: 0 }), /option nodeTtl/);
    assert.throws(
      () => createSessionForwarding(pub, { server, connectTimeout: -1 }),
      /option connectTimeout/,
    );
    assert.throws(
      () => createSessionForwarding(pub, { server, maxCachedNodes: 1.5 }),
      /option maxCachedNodes/,
    );
    assert.throws(
      () => new Server({ sessionRouter: {} as never }),
      /option sessionRouter must have generateId\(\), forwardRequest\(\) and forwardUpgrade\(\) functions/,
    );
    pub.disconnect();
  });
});

// A polling session closed on its owner while no poll waited owes its client the close hint (engine
// owed-close-hints.ts); without sticky sessions the client's next poll lands on the other server, which
// relays it to the owner, and the owner answers it from that record. The owner runs on a manual clock, so
// `closeTimeout` passes when the test says so.
describe("owed close hints across servers (no sticky sessions)", () => {
  const key = uniqueKey();
  const clock = new ManualClock();
  const closeTimeout = 1000;
  let owner: TestNode;
  let other: TestNode;

  before(async () => {
    owner = await startNode(key, {
      clock,
      closeTimeout,
      eventRateLimit: { rate: 1, burst: 1, reconnectAfter: 1500 },
    });
    other = await startNode(key);
  });

  after(async () => {
    await Promise.all([owner?.close(), other?.close()]);
  });

  it("the next poll, relayed by the other server, gets the owner's hint and the close packet once", async () => {
    const sid = await openSession(owner.url);
    const session = owner.io.engine.sessions.get(sid)!;
    const gone = once(session, "close");
    // Three events at once against a burst of 1: the owner closes the session with a hint, no poll waiting.
    assert.equal(await post(owner.url, sid, ['42["a"]', '42["b"]', '42["c"]'].join("\x1e")), "ok");
    clock.advance(closeTimeout);
    await gone;
    assert.equal(owner.io.engine.sessions.has(sid), false);

    const before = other.forwarding.stats().forwardedRequests;
    assert.equal(
      await poll(other.url, sid),
      '6{"reason":"event rate exceeded","message":"incoming events exceed eventRateLimit (1/s, burst 1)","reconnectAfter":1500}\x1e1',
    );
    assert.equal(other.forwarding.stats().forwardedRequests - before, 1, "relayed to the owner");
    // Owed once: the poll after it is refused as any unknown session's.
    assert.equal(await poll(other.url, sid), UNKNOWN_SID);
  });
});
