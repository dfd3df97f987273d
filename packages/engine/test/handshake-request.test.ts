// What a session keeps of its handshake request: the compact record, and the IncomingMessage rebuilt from it.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { IncomingMessage as IncomingMessageClass } from "node:http";
import { describe, test } from "node:test";
import { type EngineSocket, HandshakeRequest } from "@volley/engine";
import { closed, nextSession, pollingHandshake, rawWebSocket, startEngine } from "./helpers.js";

describe("session.handshake and session.request", () => {
  test("websocket: the original request during `connection`, a rebuilt one with the same fields after", async () => {
    let allowed: IncomingMessage | undefined;
    let during: IncomingMessage | undefined;
    const f = await startEngine({
      allowRequest: (req, cb) => {
        allowed = req;
        (req as IncomingMessage & { user?: string }).user = "ada";
        cb(null, true);
      },
    });
    let headersDuring: unknown;
    f.engine.once("connection", (session) => {
      during = session.request;
      headersDuring = session.handshake.headers;
      // Changes made during `connection` outlive the original request.
      session.handshake.headers["x-added"] = "during connection";
    });
    const connection = nextSession(f.engine);
    const c = await rawWebSocket(f, "&x=1");
    const session = await connection;
    assert.ok(allowed !== undefined && during === allowed, "the original request during `connection`");

    const record = session.handshake;
    assert.equal(record.url, "/engine.io/?EIO=4&transport=websocket&x=1");
    assert.equal(record.method, "GET");
    assert.equal(headersDuring, allowed.headers, "the request's own headers during `connection`");
    // Then packed into one string with the url and address, and built again on access (equal, not the same).
    assert.deepEqual(record.headers, allowed.headers);
    assert.equal(record.headers["x-added"], "during connection");
    assert.equal(record.headers, record.headers, "built once, then the same object");
    assert.equal(record.headers.upgrade, "websocket");
    assert.equal(record.socket, allowed.socket);
    assert.equal(record.connection, allowed.socket);
    assert.equal(record.remoteAddress, "127.0.0.1");
    assert.equal(session.remoteAddress, "127.0.0.1");
    assert.equal(record.secure, false);

    const rebuilt = session.request;
    assert.notEqual(rebuilt, allowed, "the original is not kept");
    assert.ok(rebuilt instanceof IncomingMessageClass);
    assert.equal(session.request, rebuilt, "rebuilt once, then the same object");
    assert.deepEqual(rebuilt.headers, allowed.headers);
    assert.equal(rebuilt.url, allowed.url);
    assert.equal(rebuilt.method, "GET");
    assert.equal(rebuilt.httpVersion, "1.1");
    assert.equal(rebuilt.socket, allowed.socket);
    assert.equal(rebuilt.socket.remoteAddress, "127.0.0.1");
    assert.equal((rebuilt.connection as { encrypted?: boolean } | null)?.encrypted, undefined);
    const raw = rebuilt.rawHeaders;
    assert.equal(raw[raw.indexOf("upgrade") + 1], "websocket");
    assert.equal(rebuilt.complete, true);
    assert.equal(
      (rebuilt as IncomingMessage & { user?: string }).user,
      "ada",
      "what allowRequest added is kept",
    );

    // The session still works after its request was rebuilt (the socket is the live connection).
    session.send("still here");
    await c.next(); // open packet
    assert.equal(await c.next(), "4still here");
    c.ws.close();
    await closed(session);
    await f.close();
  });

  test("polling: the record outlives the handshake connection", async () => {
    const f = await startEngine();
    const connection = nextSession(f.engine);
    await pollingHandshake(f, "&t=abc");
    const session: EngineSocket = await connection;
    assert.equal(session.handshake.url, "/engine.io/?EIO=4&transport=polling&t=abc");
    assert.equal(session.handshake.remoteAddress, "127.0.0.1");
    assert.equal(session.request.url, session.handshake.url);
    assert.equal(session.request.headers.host, `127.0.0.1:${f.port}`);
    await f.close();
  });

  test("compact: the record answers the same from one string; a list-valued header keeps its object", () => {
    const make = (headers: Record<string, string | string[]>) => {
      const req = new IncomingMessageClass(null as never);
      req.headers = headers;
      req.url = "/engine.io/?EIO=4&transport=websocket&é=1";
      return new HandshakeRequest(req);
    };
    const headers = { host: "example.com", "user-agent": "test, with: punctuation", "x-empty": "" };
    const record = make(headers);
    const before = record.headers;
    record.compact();
    assert.deepEqual(record.headers, headers);
    assert.notEqual(record.headers, before, "built again from the packed string");
    assert.equal(record.url, "/engine.io/?EIO=4&transport=websocket&é=1");
    assert.equal(record.remoteAddress, "");

    const cookies = { host: "example.com", "set-cookie": ["a=1", "b=2"] };
    const listed = make(cookies);
    const object = listed.headers;
    listed.compact();
    assert.equal(listed.headers, object, "not packed: the object is kept");
    assert.equal(listed.url, "/engine.io/?EIO=4&transport=websocket&é=1");
  });
});
