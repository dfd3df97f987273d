import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { type EngineConnectionError, EngineErrorCode } from "@volley/engine";
import { type Fixture, pollingHandshake, rawRequest, startEngine } from "./helpers.js";

async function expectError(
  f: Fixture,
  method: string,
  path: string,
  status: number,
  code: number,
  message: string,
): Promise<void> {
  const res = await rawRequest(f.port, method, path);
  assert.equal(res.status, status, `${method} ${path}`);
  assert.match(String(res.headers["content-type"]), /application\/json/);
  assert.deepEqual(JSON.parse(res.body), { code, message });
}

/** Sends a raw upgrade request and returns the whole answer (the server closes the socket). */
function rawUpgrade(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (d) => {
      answer += d;
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
  });
}

describe("protocol error codes (raw HTTP)", () => {
  let f: Fixture;
  const errors: EngineConnectionError[] = [];
  before(async () => {
    f = await startEngine({
      allowRequest: (req, cb) => cb(req.headers["x-deny"] ? "go away" : null, !req.headers["x-deny"]),
    });
    f.engine.on("connection_error", (e) => errors.push(e));
  });
  after(() => f.close());

  test("0 Transport unknown: missing or unsupported transport", async () => {
    await expectError(f, "GET", "/engine.io/?EIO=4", 400, 0, "Transport unknown");
    await expectError(f, "GET", "/engine.io/?EIO=4&transport=flashsocket", 400, 0, "Transport unknown");
    const last = errors.at(-1)!;
    assert.equal(last.code, EngineErrorCode.UNKNOWN_TRANSPORT);
    assert.equal(last.message, "Transport unknown");
    assert.deepEqual(last.context, { transport: "flashsocket" });
    assert.ok(last.req.url?.includes("flashsocket"));
  });

  test("1 Session ID unknown", async () => {
    await expectError(f, "GET", "/engine.io/?EIO=4&transport=polling&sid=nope", 400, 1, "Session ID unknown");
    await expectError(
      f,
      "POST",
      "/engine.io/?EIO=4&transport=polling&sid=nope",
      400,
      1,
      "Session ID unknown",
    );
  });

  test("2 Bad handshake method", async () => {
    await expectError(f, "POST", "/engine.io/?EIO=4&transport=polling", 400, 2, "Bad handshake method");
    await expectError(f, "PUT", "/engine.io/?EIO=4&transport=polling", 400, 2, "Bad handshake method");
  });

  test("3 Bad request: websocket transport over plain HTTP, unknown method on a session", async () => {
    await expectError(f, "GET", "/engine.io/?EIO=4&transport=websocket", 400, 3, "Bad request");
    const { sid } = await pollingHandshake(f);
    await expectError(f, "PUT", `/engine.io/?EIO=4&transport=polling&sid=${sid}`, 400, 3, "Bad request");
    f.engine.sessions.get(sid)!.shutdown("server shutting down");
  });

  test("4 Forbidden from allowRequest, with its message and HTTP 403", async () => {
    const res = await rawRequest(f.port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
      "X-Deny": "1",
    });
    assert.equal(res.status, 403);
    assert.deepEqual(JSON.parse(res.body), { code: 4, message: "go away" });
    assert.equal(errors.at(-1)!.code, EngineErrorCode.FORBIDDEN);
  });

  test("5 Unsupported protocol version: EIO=3, missing, garbage", async () => {
    await expectError(
      f,
      "GET",
      "/engine.io/?EIO=3&transport=polling",
      400,
      5,
      "Unsupported protocol version",
    );
    await expectError(f, "GET", "/engine.io/?transport=polling", 400, 5, "Unsupported protocol version");
    await expectError(
      f,
      "GET",
      "/engine.io/?EIO=abc&transport=polling",
      400,
      5,
      "Unsupported protocol version",
    );
  });

  test("websocket upgrades are refused with the same codes as raw HTTP answers", async () => {
    const unknown = await rawUpgrade(f.port, "/engine.io/?EIO=4&transport=bogus");
    assert.match(unknown, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.ok(unknown.endsWith('{"code":0,"message":"Transport unknown"}'));
    const version = await rawUpgrade(f.port, "/engine.io/?EIO=3&transport=websocket");
    assert.ok(version.endsWith('{"code":5,"message":"Unsupported protocol version"}'));
    const sid = await rawUpgrade(f.port, "/engine.io/?EIO=4&transport=websocket&sid=missing");
    assert.ok(sid.endsWith('{"code":1,"message":"Session ID unknown"}'));
    const mismatch = await rawUpgrade(f.port, "/engine.io/?EIO=4&transport=polling");
    assert.ok(mismatch.endsWith('{"code":3,"message":"Bad request"}'));
  });

  test("allowRequest that throws refuses with 403 and never reaches the process", async () => {
    const g = await startEngine({
      allowRequest: () => {
        throw new Error("boom");
      },
    });
    const res = await rawRequest(g.port, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.equal(res.status, 403);
    assert.deepEqual(JSON.parse(res.body), { code: 4, message: "boom" });
    await g.close();
  });

  test("a closed engine refuses new requests", async () => {
    const g = await startEngine();
    await g.engine.close();
    const res = await rawRequest(g.port, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).code, 3);
    await g.close();
  });
});
