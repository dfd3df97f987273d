// socket.io-client reconnects by itself after our server restarts on the same port.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { io as ioc } from "socket.io-client";
import { Server } from "volley";
import { next } from "./helpers.js";

for (const transports of [["websocket"], ["polling"]] as const) {
  test(`reconnection after the server restarts (${transports[0]})`, async () => {
    const http1 = createServer();
    const io1 = new Server(http1);
    http1.listen(0, "127.0.0.1");
    await once(http1, "listening");
    const port = (http1.address() as AddressInfo).port;
    const client = ioc(`http://127.0.0.1:${port}`, {
      forceNew: true,
      transports: [...transports],
      reconnectionDelay: 20,
      reconnectionDelayMax: 50,
      randomizationFactor: 0,
    });
    await next(client, "connect");
    const firstId = client.id;

    const lost = next<[string]>(client, "disconnect");
    await io1.close();
    // websocket: the close frame arrives; polling: the engine may end the pending poll either way.
    const reason = (await lost)[0];
    if (transports[0] === "websocket") assert.equal(reason, "transport close");
    else assert.ok(reason === "transport close" || reason === "transport error", reason);

    const http2 = createServer();
    const io2 = new Server(http2);
    const connected = next(io2, "connection");
    http2.listen(port, "127.0.0.1");
    await once(http2, "listening");
    const reconnected = next(client.io, "reconnect");
    const clientConnected = next(client, "connect");
    await connected;
    await reconnected;
    await clientConnected;
    assert.equal(client.connected, true);
    assert.notEqual(client.id, firstId);

    client.disconnect();
    await io2.close();
  });
}
