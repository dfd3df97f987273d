// The official engine.io-client against our server: every transport mode, text and binary both ways.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import type { EngineSocket } from "@volley/engine";
import { Socket, type SocketOptions } from "engine.io-client";
import { closed, type Fixture, nextSession, startEngine } from "./helpers.js";

type ClientOptions = Partial<SocketOptions>;

async function connectClient(
  f: Fixture,
  options: ClientOptions,
): Promise<{ client: Socket; session: EngineSocket }> {
  const connection = nextSession(f.engine);
  const client = new Socket(f.origin, options);
  const [session] = await Promise.all([connection, once(client as never, "open")]);
  return { client, session };
}

function nextMessage(client: Socket): Promise<unknown> {
  return new Promise((resolve) => client.once("message", resolve));
}

function toBytes(data: unknown): number[] {
  if (data instanceof ArrayBuffer) return [...new Uint8Array(data)];
  if (ArrayBuffer.isView(data)) return [...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
  throw new Error(`not binary: ${typeof data}`);
}

for (const mode of ["polling", "websocket"] as const) {
  describe(`engine.io-client over ${mode} only`, () => {
    test("opens, exchanges text and binary both ways, closes", async () => {
      const f = await startEngine();
      const { client, session } = await connectClient(f, { transports: [mode] });
      assert.equal(session.transport.name, mode);
      assert.equal(client.id, session.id);

      const fromClient: unknown[] = [];
      const twoMessages = new Promise<void>((resolve) =>
        session.on("message", (m) => {
          fromClient.push(m);
          if (fromClient.length === 2) resolve();
        }),
      );
      client.send("héllo");
      client.send(new Uint8Array([1, 2, 3]));
      await twoMessages;
      assert.equal(fromClient[0], "héllo");
      assert.ok(Buffer.isBuffer(fromClient[1]));
      assert.deepEqual(toBytes(fromClient[1]), [1, 2, 3]);

      const text = nextMessage(client);
      session.send("wörld");
      assert.equal(await text, "wörld");
      const binary = nextMessage(client);
      session.send(Buffer.from([9, 8, 7]));
      assert.deepEqual(toBytes(await binary), [9, 8, 7]);

      const reason = closed(session);
      client.close();
      assert.equal((await reason)[0], "transport close");
      await f.close();
    });

    test("server-side close reaches the client", async () => {
      const f = await startEngine();
      const { client, session } = await connectClient(f, { transports: [mode] });
      const clientClosed = once(client as never, "close");
      session.close();
      await clientClosed;
      await f.close();
    });
  });
}

describe("engine.io-client polling → websocket upgrade", () => {
  test("upgrades; both sides see it", async () => {
    const f = await startEngine();
    const { client, session } = await connectClient(f, { transports: ["polling", "websocket"] });
    const serverUpgrade = once(session, "upgrade");
    await once(client as never, "upgrade");
    await serverUpgrade;
    assert.equal(session.transport.name, "websocket");
    assert.equal(session.upgraded, true);
    const echo = nextMessage(client);
    session.once("message", (m) => session.send(m));
    client.send("after upgrade");
    assert.equal(await echo, "after upgrade");
    client.close();
    await f.close();
  });

  test("many messages in both directions during the upgrade arrive once and in order", async () => {
    const f = await startEngine();
    const COUNT = 300;
    const connection = nextSession(f.engine);
    const client = new Socket(f.origin, { transports: ["polling", "websocket"] });
    const session = await connection;

    let sent = 0;
    const toServer: string[] = [];
    const serverGotAll = new Promise<void>((resolve) =>
      session.on("message", (m) => {
        toServer.push(m as string);
        if (toServer.length === COUNT) resolve();
      }),
    );
    const toClient: string[] = [];
    const clientGotAll = new Promise<void>((resolve) =>
      client.on("message", (m) => {
        toClient.push(m as string);
        if (toClient.length === COUNT) resolve();
      }),
    );
    let sentAtUpgrade = -1;
    session.once("upgrade", () => {
      sentAtUpgrade = sent;
    });
    await once(client as never, "open");
    // Keep sending from both sides across the whole upgrade, a few per turn.
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        for (let i = 0; i < 3 && sent < COUNT; i++, sent++) {
          session.send(`s${sent}`);
          client.send(`c${sent}`);
        }
        if (sent < COUNT) setTimeout(pump, 1);
        else resolve();
      };
      pump();
    });
    await Promise.all([serverGotAll, clientGotAll]);
    assert.deepEqual(
      toServer,
      Array.from({ length: COUNT }, (_, i) => `c${i}`),
    );
    assert.deepEqual(
      toClient,
      Array.from({ length: COUNT }, (_, i) => `s${i}`),
    );
    assert.equal(session.transport.name, "websocket");
    // The upgrade happened while messages were flowing, not before or after all of them.
    assert.ok(sentAtUpgrade > 0 && sentAtUpgrade < COUNT, `upgrade after ${sentAtUpgrade} messages`);
    client.close();
    await f.close();
  });

  test("binary both ways after the upgrade", async () => {
    const f = await startEngine();
    const { client, session } = await connectClient(f, {});
    if (!session.upgraded) await once(session, "upgrade");
    const got = new Promise<unknown>((resolve) => session.once("message", resolve));
    client.send(new Uint8Array([4, 5, 6]).buffer);
    assert.deepEqual(toBytes(await got), [4, 5, 6]);
    const back = nextMessage(client);
    session.send(Buffer.from([7]));
    assert.deepEqual(toBytes(await back), [7]);
    client.close();
    await f.close();
  });
});

describe("engine.io-client heartbeat", () => {
  test("a client that stops answering is closed with 'ping timeout' (short intervals)", async () => {
    const f = await startEngine({ pingInterval: 20, pingTimeout: 20 });
    const { client, session } = await connectClient(f, { transports: ["websocket"] });
    // The client stops reading its socket: it never sees the pings, so it never pongs.
    const transport = client.transport as unknown as {
      ws: { _socket: { pause(): void }; terminate(): void };
    };
    const ws = transport.ws;
    ws._socket.pause();
    assert.equal((await closed(session))[0], "ping timeout");
    // A graceful close would wait for a reply this paused socket can never read.
    ws.terminate();
    await f.close();
  });

  test("pings are answered: the session outlives several pingIntervals", async () => {
    const f = await startEngine({ pingInterval: 20, pingTimeout: 200 });
    const { client, session } = await connectClient(f, { transports: ["websocket"] });
    let beats = 0;
    await new Promise<void>((resolve) =>
      session.on("heartbeat", () => {
        if (++beats === 3) resolve();
      }),
    );
    assert.equal(session.readyState, "open");
    client.close();
    await f.close();
  });
});
