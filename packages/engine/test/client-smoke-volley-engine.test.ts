// Smoke test: our Engine.IO client against our own EngineServer, in every transport mode.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EngineClient, type TransportName } from "@volley/engine/client";
import { nextSession, startEngine } from "./helpers.js";

const modes: Array<[string, TransportName[]]> = [
  ["polling only", ["polling"]],
  ["websocket only", ["websocket"]],
  ["polling with upgrade", ["polling", "websocket"]],
];

describe("engine client ↔ volley EngineServer", () => {
  for (const [mode, transports] of modes) {
    test(`${mode}: text and binary both ways, then close`, async () => {
      // A generous pingTimeout: a loaded machine must not turn a late pong into a hang of this test.
      const f = await startEngine({ pingInterval: 50, pingTimeout: 5000 });
      const sessionP = nextSession(f.engine);
      const client = new EngineClient(f.origin, { transports });
      try {
        await new Promise<void>((resolve, reject) => {
          client.once("open", resolve);
          client.once("error", reject);
        });
        const session = await sessionP;
        assert.equal(session.id, client.id);
        if (transports.length === 2) await new Promise((resolve) => client.once("upgrade", resolve));
        assert.equal(client.transport.name, transports.at(-1));

        session.on("message", (data: string | Buffer) => session.send(data));
        const echoes: Array<string | Uint8Array | ArrayBuffer> = [];
        const done = new Promise<void>((resolve) =>
          client.on("message", (data) => {
            echoes.push(data);
            if (echoes.length === 2) resolve();
          }),
        );
        client.send("héllo");
        client.send(new Uint8Array([1, 2, 250]));
        await done;
        assert.equal(echoes[0], "héllo");
        assert.deepEqual([...(echoes[1] as Buffer)], [1, 2, 250]);
        await new Promise((resolve) => client.once("ping", resolve));

        const serverClosed = new Promise<string>((resolve) => session.once("close", resolve));
        const clientClosed = new Promise<string>((resolve) => client.once("close", resolve));
        client.close();
        assert.equal(await clientClosed, "io client disconnect");
        assert.equal(await serverClosed, "transport close");
      } finally {
        client.close();
        await f.close();
      }
    });
  }

  test("polling: a burst of 2,500 messages leaves in bodies of at most 1,000 packets (maxPacketsPerPayload)", async () => {
    const f = await startEngine({ pingInterval: 50, pingTimeout: 5000 });
    const sessionP = nextSession(f.engine);
    const client = new EngineClient(f.origin, { transports: ["polling"] });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("open", resolve);
        client.once("error", reject);
      });
      const session = await sessionP;
      const received: string[] = [];
      const all = new Promise<void>((resolve, reject) => {
        session.on("message", (data: string) => {
          received.push(data);
          if (received.length === 2500) resolve();
        });
        session.on("close", (reason: string) => reject(new Error(`session closed: ${reason}`)));
      });
      for (let i = 0; i < 2500; i++) client.send(String(i));
      await all;
      assert.deepEqual(
        received,
        Array.from({ length: 2500 }, (_, i) => String(i)),
      );
    } finally {
      client.close();
      await f.close();
    }
  });
});
