// The `sessionRouter` seam: ids of new sessions come from it, and only a request or upgrade naming
// a sid this server does not hold reaches it; it answers itself, declines, or refuses later.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { afterEach, describe, test } from "node:test";
import {
  type EngineConnectionError,
  EngineErrorCode,
  EngineServer,
  type SessionRouter,
} from "@volley/engine";
import { type Fixture, poll, pollingHandshake, rawRequest, rawWebSocket, startEngine } from "./helpers.js";

type Decision = "decline" | "answer" | "refuse-later";

/** A router that makes ids "node1.<random>" and records what it is asked. */
function router(decision: () => Decision): SessionRouter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    generateId: () => `node1.${randomBytes(15).toString("base64url")}`,
    forwardRequest(sid: string, _req: IncomingMessage, res: ServerResponse, refuse: () => void) {
      asked.push(`request ${sid}`);
      const d = decision();
      if (d === "decline") return false;
      if (d === "answer") res.end("answered by the router");
      else setImmediate(refuse);
      return true;
    },
    forwardUpgrade(sid: string, _req: IncomingMessage, socket: Duplex, _head: Buffer, refuse: () => void) {
      asked.push(`upgrade ${sid}`);
      const d = decision();
      if (d === "decline") return false;
      if (d === "answer")
        socket.end("HTTP/1.1 418 I'm a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      else setImmediate(refuse);
      return true;
    },
  };
}

describe("sessionRouter", () => {
  let fixture: Fixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  test("new sessions (polling and websocket) get the router's ids; known sids never reach it", async () => {
    const r = router(() => "decline");
    fixture = await startEngine({ sessionRouter: r });
    const { sid } = await pollingHandshake(fixture);
    assert.match(sid, /^node1\.[\w-]{20}$/);
    const ws = await rawWebSocket(fixture, "");
    const open = String(await ws.next());
    assert.match(open, /^0\{"sid":"node1\./);
    ws.ws.close();
    const pending = poll(fixture, sid);
    await new Promise((resolve) => setImmediate(resolve));
    fixture.engine.sessions.get(sid)?.close();
    await pending;
    assert.deepEqual(r.asked, []);
  });

  test("an unknown sid: declined gives 400 as before, taken over is the router's answer, refused later gives 400", async () => {
    const decisions: Decision[] = ["decline", "answer", "refuse-later"];
    const r = router(() => decisions.shift()!);
    fixture = await startEngine({ sessionRouter: r });
    const errors: EngineConnectionError[] = [];
    fixture.engine.on("connection_error", (e) => errors.push(e));
    const path = "/engine.io/?EIO=4&transport=polling&sid=other.AAAAAAAAAAAAAAAAAAAA";
    const declined = await rawRequest(fixture.port, "GET", path);
    assert.equal(declined.status, 400);
    assert.deepEqual(JSON.parse(declined.body), { code: 1, message: "Session ID unknown" });
    const answered = await rawRequest(fixture.port, "GET", path);
    assert.equal(answered.status, 200);
    assert.equal(answered.body, "answered by the router");
    const refused = await rawRequest(fixture.port, "POST", path, "4hello");
    assert.equal(refused.status, 400);
    assert.deepEqual(JSON.parse(refused.body), { code: 1, message: "Session ID unknown" });
    assert.equal(r.asked.length, 3);
    assert.deepEqual(
      errors.map((e) => e.code),
      [EngineErrorCode.UNKNOWN_SID, EngineErrorCode.UNKNOWN_SID],
    );
  });

  test("other refusals never reach the router", async () => {
    const r = router(() => "answer");
    fixture = await startEngine({ sessionRouter: r });
    const bad = await rawRequest(
      fixture.port,
      "GET",
      "/engine.io/?EIO=3&transport=polling&sid=other.AAAAAAAAAAAAAAAAAAAA",
    );
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.body).code, EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION);
    assert.deepEqual(r.asked, []);
  });

  test("an upgrade for an unknown sid: declined, taken over, refused later", async () => {
    const decisions: Decision[] = ["decline", "answer", "refuse-later"];
    const r = router(() => decisions.shift()!);
    fixture = await startEngine({ sessionRouter: r });
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) {
      await assert.rejects(rawWebSocket(fixture, "&sid=other.AAAAAAAAAAAAAAAAAAAA"), (err: Error) => {
        statuses.push(err.message);
        return true;
      });
    }
    assert.deepEqual(statuses, ["upgrade refused: 400", "upgrade refused: 418", "upgrade refused: 400"]);
    assert.equal(r.asked.length, 3);
  });

  test("a router without the three functions is refused at construction", () => {
    assert.throws(
      () => new EngineServer({ sessionRouter: { generateId: () => "x" } as never }),
      /option sessionRouter must have generateId\(\), forwardRequest\(\) and forwardUpgrade\(\) functions/,
    );
  });
});
