// Server-advised waits before a reconnection attempt: `reconnectAfter` from a Volley server closing
// gracefully (an Engine.IO noop `6{"reconnectAfter":ms}`), and the engine error's `retryAfter` (ms) of a
// handshake refused for rate or capacity. The next attempt waits max(backoff, hint). Time is injected.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { Server } from "volley";
import { ManualClock } from "../../engine/test/manual-clock.js";
import { io, Manager } from "../src/index.js";

async function volleyServer(): Promise<{ server: Server; url: string }> {
  const http = createServer();
  const server = new Server(http, { serveClient: false });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return { server, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

describe("server-advised reconnection delays", () => {
  test("reconnectAfter of a graceful close: the next attempt waits exactly the advised delay", async () => {
    const { server, url } = await volleyServer();
    const timers = new ManualClock();
    const socket = io(url, {
      forceNew: true,
      transports: ["websocket"],
      timers,
      reconnectionDelay: 1000,
      randomizationFactor: 0,
    });
    try {
      await once(socket, "connect");
      const attempts: number[] = [];
      socket.io.on("reconnect_attempt", () => attempts.push(timers.now()));
      const gone = once(socket, "disconnect");
      await server.close({ graceful: { reconnectWindow: 10_000, random: () => 0.4321, batchInterval: 0 } });
      await gone;
      const closedAt = timers.now();
      timers.advance(4320);
      assert.deepEqual(attempts, [], "not before the advised 4321 ms");
      timers.advance(1);
      assert.deepEqual(attempts, [closedAt + 4321]);
    } finally {
      socket.disconnect();
    }
  });

  for (const transport of ["polling", "websocket"] as const) {
    test(`${transport}: a handshake refused at a server limit: the next attempt waits max(backoff, retryAfter)`, async () => {
      for (const [retryAfter, reconnectionDelay, expected] of [
        [7000, 1000, 7000],
        [1000, 3000, 3000], // the backoff is longer
      ] as const) {
        // One session per address (loopback not exempt): a second client is refused with 429 + retryAfter.
        const http = createServer();
        const server = new Server(http, {
          serveClient: false,
          maxConnectionsPerAddress: 1,
          exemptAddresses: [],
          connectionRetryAfter: retryAfter,
        });
        http.listen(0, "127.0.0.1");
        await once(http, "listening");
        const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
        const first = io(url, { forceNew: true, transports: [transport] });
        const timers = new ManualClock();
        const manager = new Manager(url, {
          autoConnect: false,
          transports: [transport],
          timers,
          reconnectionDelay,
          randomizationFactor: 0,
        });
        try {
          await once(first, "connect");
          const attempts: number[] = [];
          manager.on("reconnect_attempt", () => attempts.push(timers.now()));
          const refused = once(manager, "error");
          manager.open();
          await refused;
          assert.equal(manager.engine!.retryAfter, retryAfter);
          timers.advance(expected - 1);
          assert.deepEqual(attempts, [], `no attempt before ${expected} ms`);
          timers.advance(1);
          assert.deepEqual(attempts, [expected]);
        } finally {
          manager.close();
          first.disconnect();
          await server.close();
        }
      }
    });
  }
});
