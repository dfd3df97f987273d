// allowEIO3: Engine.IO protocol 3 sessions on the wire. Raw requests checked against the real engine.io 6
// (refusals and the handshake), payloads read and written with the real peer's codec (engine.io-parser@2),
// and the real engine.io-client@3 in each transport mode.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { describe, test } from "node:test";
import type { EngineSocket } from "@volley/engine";
import { Server as ReferenceServer } from "engine.io";
import { closed, type Fixture, nextSession, type RawResponse, rawRequest, startEngine } from "./helpers.js";

const require = createRequire(import.meta.url);

interface PeerPacket {
  type: string;
  data?: string | Buffer;
}
interface PeerParser {
  encodePayload(packets: PeerPacket[], supportsBinary: boolean, cb: (e: unknown) => void): void;
  decodePayload(data: string | Buffer, cb: (packet: PeerPacket) => unknown): void;
}
const peer = require(
  require.resolve("engine.io-parser", { paths: [dirname(require.resolve("engine.io-client-v3"))] }),
) as PeerParser;

interface V3Client {
  transport: { name: string };
  on(event: string, listener: (...args: never[]) => void): V3Client;
  once(event: string, listener: (...args: never[]) => void): V3Client;
  send(data: string | Buffer): void;
  close(): void;
}
const eioV3 = require("engine.io-client-v3") as (url: string, opts?: Record<string, unknown>) => V3Client;

function decodePeer(body: string | Buffer): PeerPacket[] {
  const packets: PeerPacket[] = [];
  peer.decodePayload(body, (packet) => {
    packets.push(packet);
  });
  return packets;
}

function encodePeer(packets: PeerPacket[], supportsBinary: boolean): string | Buffer {
  let out: unknown;
  peer.encodePayload(packets, supportsBinary, (encoded) => {
    out = encoded;
  });
  return out as string | Buffer;
}

const V3 = "/engine.io/?EIO=3&transport=polling";

async function handshakeV3(f: Fixture, query = ""): Promise<{ sid: string; res: RawResponse }> {
  const res = await rawRequest(f.port, "GET", `${V3}${query}`);
  assert.equal(res.status, 200, res.body);
  const [open] = decodePeer(res.body);
  assert.equal(open?.type, "open");
  return { sid: JSON.parse(open!.data as string).sid, res };
}

function getV3(f: Fixture, sid: string, query = ""): Promise<RawResponse> {
  return rawRequest(f.port, "GET", `${V3}&sid=${sid}${query}`);
}

function postV3(f: Fixture, sid: string, body: string | Buffer): Promise<RawResponse> {
  const type = typeof body === "string" ? "text/plain;charset=UTF-8" : "application/octet-stream";
  return rawRequest(f.port, "POST", `${V3}&sid=${sid}`, body, { "Content-Type": type });
}

/** A real engine.io 6 on 127.0.0.1:0. */
async function referenceEngine(options: Record<string, unknown>) {
  const http = createServer();
  const engine = new ReferenceServer(options);
  engine.attach(http);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return {
    port: (http.address() as AddressInfo).port,
    async close() {
      engine.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** An upgrade request answered before any 101: its status line and body. */
async function refusedUpgrade(port: number, path: string): Promise<{ status: number; body: string }> {
  const { WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  ws.on("error", () => {});
  const [, res] = (await once(ws, "unexpected-response")) as [unknown, import("node:http").IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  ws.terminate();
  return { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() };
}

describe("EIO=3 without allowEIO3 (the default)", () => {
  test("polling is refused exactly as engine.io 6 refuses it; websocket with the same error", async (t) => {
    const ours = await startEngine();
    const theirs = await referenceEngine({});
    t.after(() => Promise.all([ours.close(), theirs.close()]));
    const errors: unknown[] = [];
    ours.engine.on("connection_error", (err) => errors.push([err.code, err.message, err.context]));
    const mine = await rawRequest(ours.port, "GET", V3);
    const reference = await rawRequest(theirs.port, "GET", V3);
    assert.equal(mine.status, 400);
    assert.equal(mine.status, reference.status);
    assert.deepEqual(JSON.parse(mine.body), JSON.parse(reference.body));
    assert.deepEqual(JSON.parse(mine.body), { code: 5, message: "Unsupported protocol version" });
    // engine.io 6 answers a refused websocket with a 101 followed by a 400 (clients see a broken frame); we
    // answer the 400 alone, with the same code and message.
    const mineWs = await refusedUpgrade(ours.port, "/engine.io/?EIO=3&transport=websocket");
    assert.equal(mineWs.status, 400);
    assert.deepEqual(JSON.parse(mineWs.body), { code: 5, message: "Unsupported protocol version" });
    assert.deepEqual(errors, [
      [5, "Unsupported protocol version", { protocol: 3 }],
      [5, "Unsupported protocol version", { protocol: 3 }],
    ]);
  });

  test("engine.io-client@3 gets an error and no session opens", async (t) => {
    const f = await startEngine();
    t.after(() => f.close());
    const client = eioV3(f.origin, { transports: ["polling"] });
    t.after(() => client.close());
    await once(client as never, "error");
    assert.equal(f.engine.clientsCount, 0);
  });
});

describe("EIO=3 with allowEIO3", () => {
  test("the handshake: a length-prefixed open packet with engine.io 6's fields", async (t) => {
    const f = await startEngine({ allowEIO3: true, pingInterval: 300, pingTimeout: 200 });
    const theirs = await referenceEngine({ allowEIO3: true, pingInterval: 300, pingTimeout: 200 });
    t.after(() => Promise.all([f.close(), theirs.close()]));
    const connection = nextSession(f.engine);
    const { res } = await handshakeV3(f);
    const session = await connection;
    assert.equal(session.protocol, 3);
    const match = /^(\d+):0(\{.*\})$/.exec(res.body);
    assert.ok(match, res.body);
    assert.equal(Number(match[1]), match[2]!.length + 1);
    const reference = await rawRequest(theirs.port, "GET", V3);
    assert.equal(res.headers["content-type"], reference.headers["content-type"]);
    const mine = JSON.parse(match[2]!);
    const ref = JSON.parse(/^\d+:0(\{.*\})$/.exec(reference.body)![1]!);
    assert.deepEqual(Object.keys(mine).sort(), Object.keys(ref).sort());
    assert.deepEqual({ ...mine, sid: "" }, { ...ref, sid: "" });
  });

  test("protocol 4 sessions are unchanged beside protocol 3 ones; other revisions are refused", async (t) => {
    const f = await startEngine({ allowEIO3: true });
    t.after(() => f.close());
    const connection = nextSession(f.engine);
    const res = await rawRequest(f.port, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.match(res.body, /^0\{/);
    assert.equal((await connection).protocol, 4);
    for (const revision of ["2", "5", ""]) {
      const refused = await rawRequest(f.port, "GET", `/engine.io/?EIO=${revision}&transport=polling`);
      assert.equal(refused.status, 400);
      assert.equal(JSON.parse(refused.body).code, 5);
    }
  });

  test("JSONP polling (j=) is refused with a reason; engine.io 6 would answer it as a script", async (t) => {
    const f = await startEngine({ allowEIO3: true });
    const theirs = await referenceEngine({ allowEIO3: true });
    t.after(() => Promise.all([f.close(), theirs.close()]));
    const errors: unknown[] = [];
    f.engine.on("connection_error", (err) => errors.push([err.code, err.message, err.context]));
    const res = await rawRequest(f.port, "GET", `${V3}&j=0`);
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), { code: 3, message: "JSONP polling is not supported" });
    assert.deepEqual(errors, [[3, "JSONP polling is not supported", { name: "JSONP_UNSUPPORTED" }]]);
    assert.equal(f.engine.clientsCount, 0);
    // What the reference does instead: a script, readable by any site that includes it.
    const reference = await rawRequest(theirs.port, "GET", `${V3}&j=0`);
    assert.match(reference.body, /^___eio\[0\]\("/);
  });

  test("b64=1: text payloads, binary as b4<base64>", async (t) => {
    const f = await startEngine({ allowEIO3: true });
    t.after(() => f.close());
    const connection = nextSession(f.engine);
    const { sid } = await handshakeV3(f, "&b64=1");
    const session = await connection;
    const received: unknown[] = [];
    session.on("message", (m) => received.push(m));
    session.send("héllo€😀");
    session.send(Buffer.from([1, 2, 3]));
    const res = await getV3(f, sid, "&b64=1");
    assert.equal(res.headers["content-type"], "text/plain; charset=UTF-8");
    assert.equal(res.body, "9:4héllo€😀6:b4AQID");
    assert.equal((await postV3(f, sid, "9:4héllo€😀6:b4BQYH")).body, "ok");
    assert.deepEqual(received, ["héllo€😀", Buffer.from([5, 6, 7])]);
  });

  test("XHR2 clients: binary payloads both ways, read and written by the peer's codec", async (t) => {
    const f = await startEngine({ allowEIO3: true });
    t.after(() => f.close());
    const connection = nextSession(f.engine);
    const { sid } = await handshakeV3(f);
    const session = await connection;
    // Text only: a text payload even for a client that takes binary.
    session.send("just text");
    let res = await getV3(f, sid);
    assert.equal(res.body, "10:4just text");
    session.send("héllo€😀");
    session.send(Buffer.from([1, 2, 3]));
    session.sendPrepared(f.engine.prepare(Buffer.from([9, 9])));
    session.sendPrepared(f.engine.prepare("prepared"));
    res = await getV3(f, sid);
    assert.equal(res.headers["content-type"], "application/octet-stream");
    assert.deepEqual(decodePeer(res.raw), [
      { type: "message", data: "héllo€😀" },
      { type: "message", data: Buffer.from([1, 2, 3]) },
      { type: "message", data: Buffer.from([9, 9]) },
      { type: "message", data: "prepared" },
    ]);
    const received: unknown[] = [];
    session.on("message", (m) => received.push(m));
    const body = encodePeer(
      [
        { type: "message", data: "ünïcode 😀" },
        { type: "message", data: Buffer.from([0, 255]) },
      ],
      true,
    );
    assert.ok(Buffer.isBuffer(body));
    assert.equal((await postV3(f, sid, body)).body, "ok");
    assert.deepEqual(received, ["ünïcode 😀", Buffer.from([0, 255])]);
  });

  test("a malformed payload: 400 for the POST, the session closes with 'parse error'", async (t) => {
    const f = await startEngine({ allowEIO3: true });
    t.after(() => f.close());
    for (const body of ["5:4hi", Buffer.from([0, 9, 0xff, 0x34])]) {
      const connection = nextSession(f.engine);
      const { sid } = await handshakeV3(f);
      const reason = closed(await connection);
      const res = await postV3(f, sid, body);
      assert.equal(res.status, 400);
      assert.equal(JSON.parse(res.body).code, 3);
      assert.equal((await reason)[0], "parse error");
    }
  });

  test("close answers the waiting GET with 1:1, as a length-prefixed payload", async (t) => {
    const f = await startEngine({ allowEIO3: true });
    t.after(() => f.close());
    const connection = nextSession(f.engine);
    const { sid } = await handshakeV3(f);
    const session = await connection;
    const pending = getV3(f, sid);
    while (!session.transport.writable) await new Promise((r) => setImmediate(r));
    session.close();
    assert.equal((await pending).body, "1:1");
  });

  for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
    test(`engine.io-client@3 over ${transports.join(" → ")}: text and binary both ways`, async (t) => {
      const f = await startEngine({ allowEIO3: true });
      t.after(() => f.close());
      const connection = nextSession(f.engine);
      const client = eioV3(f.origin, { transports });
      t.after(() => client.close());
      const session: EngineSocket = await connection;
      assert.equal(session.protocol, 3);
      session.on("message", (m) => session.send(m));
      await once(client as never, "open");
      if (transports.length === 2 && session.transport.name !== "websocket") await once(session, "upgrade");
      const echoed: unknown[] = [];
      const done = new Promise<void>((resolve) =>
        client.on("message", (m: never) => {
          echoed.push(m);
          if (echoed.length === 3) resolve();
        }),
      );
      client.send("héllo€😀");
      client.send(Buffer.from([1, 2, 3]));
      client.send(Buffer.alloc(0));
      await done;
      assert.equal(echoed[0], "héllo€😀");
      assert.deepEqual(Buffer.from(echoed[1] as Buffer), Buffer.from([1, 2, 3]));
      assert.equal(Buffer.from(echoed[2] as Buffer).length, 0);
      assert.equal(client.transport.name, transports.at(-1));
      assert.equal(session.transport.name, transports.at(-1));
      const gone = closed(session);
      client.close();
      assert.equal((await gone)[0], "transport close");
    });
  }

  test("a binary websocket frame of another type than message is a parse error", async (t) => {
    const f = await startEngine({ allowEIO3: true });
    t.after(() => f.close());
    const { WebSocket } = await import("ws");
    const connection = nextSession(f.engine);
    const ws = new WebSocket(`ws://127.0.0.1:${f.port}/engine.io/?EIO=3&transport=websocket`);
    ws.on("error", () => {});
    const [open] = (await once(ws, "message")) as [Buffer];
    assert.match(open.toString(), /^0\{"sid"/);
    const reason = closed(await connection);
    ws.send(Buffer.from([2, 1]));
    assert.deepEqual(await reason, ["parse error", "binary packet of type 2"]);
    ws.terminate();
  });
});
