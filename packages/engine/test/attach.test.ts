import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { describe, test } from "node:test";
import { EngineServer } from "@volley/engine";
import { closed, rawRequest } from "./helpers.js";

function upgradeRequest(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (d) => {
      answer += d;
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(answer));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
  });
}

describe("attach", () => {
  test("custom path; the app keeps its requests; stray upgrades are destroyed; other upgrade listeners run", async () => {
    const http = createServer((_req, res) => res.end("app"));
    const engine = new EngineServer({ path: "/rt/" }).attach(http, { destroyUpgradeTimeout: 10 });
    http.on("upgrade", (req, socket) => {
      if (req.url === "/mine") socket.end("HTTP/1.1 418 I'm a teapot\r\nConnection: close\r\n\r\n");
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const port = (http.address() as AddressInfo).port;

    assert.equal((await rawRequest(port, "GET", "/")).body, "app");
    assert.equal((await rawRequest(port, "GET", "/engine.io/?EIO=4&transport=polling")).body, "app");
    const handshake = await rawRequest(port, "GET", "/rt/?EIO=4&transport=polling");
    assert.equal(handshake.status, 200);
    assert.equal(engine.clientsCount, 1);

    // Nobody answers /stray: destroyed after destroyUpgradeTimeout. /mine is answered by the app.
    assert.equal(await upgradeRequest(port, "/stray"), "");
    assert.match(await upgradeRequest(port, "/mine"), /^HTTP\/1\.1 418/);

    // Closing the HTTP server closes the engine's sessions.
    const session = [...engine.sessions.values()][0]!;
    const reason = closed(session);
    http.closeAllConnections();
    http.close();
    assert.equal((await reason)[0], "server shutting down");
  });

  test("handleRequest / handleUpgrade for users who route themselves", async () => {
    const engine = new EngineServer();
    const http = createServer((req, res) => {
      if (engine.matches(req)) engine.handleRequest(req, res);
      else res.end("else");
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const port = (http.address() as AddressInfo).port;
    const res = await rawRequest(port, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.equal(res.status, 200);
    assert.equal(res.body[0], "0");
    await engine.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
});
