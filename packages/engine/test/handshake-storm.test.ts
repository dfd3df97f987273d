// Handshakes read together in one busy turn of the event loop: past flushSliceMs they are opened in the
// next turns, in order, and while they wait they count against maxConnections.
import assert from "node:assert/strict";
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket as NetSocket } from "node:net";
import { test } from "node:test";
import { type EngineConnectionError, EngineErrorCode, EngineServer, type EngineSocket } from "@volley/engine";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A polling handshake GET handed to the engine directly (no network), from `address`. */
function handshake(engine: EngineServer, address: string): ServerResponse {
  const socket = new NetSocket();
  Object.defineProperty(socket, "remoteAddress", { value: address });
  const req = new IncomingMessage(socket);
  req.method = "GET";
  req.url = "/engine.io/?EIO=4&transport=polling";
  const res = new ServerResponse(req);
  engine.handleRequest(req, res);
  return res;
}

test("past flushSliceMs of a busy turn, handshakes open in the next turns, in arrival order", async () => {
  // A slice shorter than one handshake: the first of a turn opens at once, the rest wait.
  const engine = new EngineServer({ flushSliceMs: 0.001 });
  const opened: string[] = [];
  engine.on("connection", (session: EngineSocket) => opened.push(session.remoteAddress));
  for (let i = 1; i <= 4; i++) handshake(engine, `10.0.0.${i}`);
  assert.deepEqual(opened, ["10.0.0.1"]);
  // Each later turn opens one slice's worth (here: one chunk of 32, all of them).
  await nextTurn();
  assert.deepEqual(opened, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
  assert.equal(engine.clientsCount, 4);
  await engine.close();
});

test("handshakes waiting for their turn count against maxConnections", async () => {
  const engine = new EngineServer({ flushSliceMs: 0.001, maxConnections: 2 });
  const refused: EngineConnectionError[] = [];
  engine.on("connection_error", (err) => refused.push(err));
  handshake(engine, "10.0.0.1");
  handshake(engine, "10.0.0.2");
  // One open, one waiting: the third is over the cap already.
  const third = handshake(engine, "10.0.0.3");
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.code, EngineErrorCode.TOO_MANY_CONNECTIONS);
  assert.equal(third.statusCode, 503);
  await nextTurn();
  assert.equal(engine.clientsCount, 2);
  await engine.close();
});

test("a handshake still waiting when the engine closes is refused, not opened", async () => {
  const engine = new EngineServer({ flushSliceMs: 0.001 });
  const refused: EngineConnectionError[] = [];
  engine.on("connection_error", (err) => refused.push(err));
  handshake(engine, "10.0.0.1");
  const waiting = handshake(engine, "10.0.0.2");
  await engine.close();
  await nextTurn();
  assert.equal(engine.clientsCount, 0);
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.context.name, "SERVER_CLOSED");
  assert.equal(waiting.statusCode, 400);
});
