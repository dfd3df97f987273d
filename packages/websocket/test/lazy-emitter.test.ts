// LazyEventEmitter: no listener table (nor any field) until the first listener, yet every EventEmitter
// method behaves as on a plain EventEmitter; and WebSocket.attachHandler, the listener-free way the
// engine hears a connection (before the listeners, in event order).
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { describe, test } from "node:test";
import { captureRejectionsByDefault, LazyEventEmitter, WebSocket, WebSocketServer } from "@volley/websocket";

class Probe extends LazyEventEmitter {}

describe("LazyEventEmitter", () => {
  test("holds no own property until a listener is added, and is an EventEmitter", () => {
    const e = new Probe();
    assert.deepEqual(Reflect.ownKeys(e), []);
    assert.ok(e instanceof EventEmitter);
    assert.equal(e.emit("x", 1), false);
    assert.equal(e.listenerCount("x"), 0);
    assert.deepEqual(e.eventNames(), []);
    assert.deepEqual(e.listeners("x"), []);
    assert.equal(e.getMaxListeners(), EventEmitter.defaultMaxListeners);
    e.removeListener("x", () => {});
    e.removeAllListeners();
    assert.deepEqual(Reflect.ownKeys(e), []);
    assert.throws(() => e.emit("error", new Error("boom")), /boom/);
  });

  test("on, once, prepend, off and emit work as on EventEmitter", () => {
    const e = new Probe();
    const seen: string[] = [];
    const a = (v: number) => seen.push(`a${v}`);
    e.on("x", a);
    e.once("x", (v: number) => seen.push(`once${v}`));
    e.prependListener("x", (v: number) => seen.push(`first${v}`));
    assert.equal(e.listenerCount("x"), 3);
    assert.equal(e.emit("x", 1), true);
    assert.equal(e.emit("x", 2), true);
    e.off("x", a);
    e.emit("x", 3);
    assert.deepEqual(seen, ["first1", "a1", "once1", "first2", "a2", "first3"]);
    assert.deepEqual(e.eventNames(), ["x"]);
  });

  test("events.once and static helpers reach a lazy emitter", async () => {
    const e = new Probe();
    const got = once(e, "ready");
    e.emit("ready", 42);
    assert.deepEqual(await got, [42]);
    assert.equal(
      (Probe as unknown as typeof EventEmitter).defaultMaxListeners,
      EventEmitter.defaultMaxListeners,
    );
  });

  test("captureRejectionsByDefault sends a rejected async listener to captureRejectionSymbol", async () => {
    const caught: unknown[] = [];
    class Capturing extends LazyEventEmitter {
      [EventEmitter.captureRejectionSymbol](err: unknown): void {
        caught.push(err);
      }
    }
    assert.equal(captureRejectionsByDefault(Capturing), true);
    const e = new Capturing();
    assert.deepEqual(Reflect.ownKeys(e), []);
    e.on("x", async () => {
      throw new Error("rejected");
    });
    e.emit("x");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((caught[0] as Error).message, "rejected");
  });
});

describe("WebSocket.attachHandler", () => {
  test("gets message and close before the listeners, and a new connection carries no listener table", async () => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await once(wss, "listening");
    const port = (wss.address() as { port: number }).port;
    const order: string[] = [];
    const closed = new Promise<void>((resolve) => {
      wss.on("connection", (ws: WebSocket) => {
        assert.equal(Reflect.ownKeys(ws).includes("_events"), false);
        ws.attachHandler({
          onWebSocketMessage: (data, isBinary) =>
            order.push(`handler message ${data.toString()} ${isBinary}`),
          onWebSocketClose: (code) => order.push(`handler close ${code}`),
          onWebSocketError: (err) => order.push(`handler error ${err.message}`),
        });
        ws.on("message", (data: Buffer) => order.push(`listener message ${data.toString()}`));
        ws.on("close", (code: number) => {
          order.push(`listener close ${code}`);
          resolve();
        });
      });
    });
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    await once(client, "open");
    client.send("hi");
    client.close(1000);
    await closed;
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    assert.deepEqual(order, [
      "handler message hi false",
      "listener message hi",
      "handler close 1000",
      "listener close 1000",
    ]);
  });
});
