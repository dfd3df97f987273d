// wss: — TLS under the WebSocket: our server on an `https` server, our client with `ca` or
// `rejectUnauthorized: false` passed through to TLS, and `ws` on the other end. The certificate is
// self-signed, generated at test time with `openssl` (the tests are skipped when it is missing).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import WsWebSocket, { WebSocketServer as WsServer } from "ws";
import { WebSocket, type WebSocketError, WebSocketServer } from "../src/index.js";
import { closed } from "./helpers.js";

const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
const skip =
  openssl.error !== undefined || openssl.status !== 0
    ? `openssl is not available (${openssl.error?.message ?? `exit ${openssl.status}`}): cannot make a test certificate`
    : false;

describe("wss: over TLS", { skip }, () => {
  let dir = "";
  let key = Buffer.alloc(0);
  let cert = Buffer.alloc(0);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "volley-wss-"));
    const made = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-days",
        "1",
        // The client connects to 127.0.0.1, so the certificate must name that address.
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(made.status, 0, `openssl req failed: ${made.stderr}`);
    key = readFileSync(join(dir, "key.pem"));
    cert = readFileSync(join(dir, "cert.pem"));
  });

  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  async function httpsServer(): Promise<{ https: HttpsServer; url: string }> {
    const https = createHttpsServer({ key, cert });
    https.listen(0, "127.0.0.1");
    await once(https, "listening");
    return { https, url: `wss://127.0.0.1:${(https.address() as AddressInfo).port}` };
  }

  async function closeHttps(https: HttpsServer): Promise<void> {
    https.close();
    await once(https, "close");
  }

  /** Our server on an https server, echoing; resolves the request of each connection. */
  async function ourSecureServer() {
    const { https, url } = await httpsServer();
    const wss = new WebSocketServer({ server: https });
    const requests: IncomingMessage[] = [];
    wss.on("connection", (ws: WebSocket, req: IncomingMessage) => {
      requests.push(req);
      ws.on("message", (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    });
    return { https, url, wss, requests };
  }

  async function roundTrip(client: WebSocket, data: string | Buffer): Promise<[Buffer, boolean]> {
    const reply = once(client, "message") as Promise<[Buffer, boolean]>;
    client.send(data);
    return reply;
  }

  test("our client with `ca` ↔ our server on https: text and binary round-trip", async () => {
    const { https, url, wss, requests } = await ourSecureServer();
    const client = new WebSocket(url, { ca: cert });
    await once(client, "open");
    assert.equal(client.url, `${url}/`);
    const [text, textIsBinary] = await roundTrip(client, "over TLS");
    assert.equal(text.toString(), "over TLS");
    assert.equal(textIsBinary, false);
    const payload = Buffer.alloc(100_000, 0xab);
    const [binary, isBinary] = await roundTrip(client, payload);
    assert.ok(binary.equals(payload));
    assert.equal(isBinary, true);
    assert.equal((requests[0]!.socket as { encrypted?: boolean }).encrypted, true);
    client.close(1000, "done");
    const [code, reason] = await closed(client);
    assert.equal(code, 1000);
    assert.equal(reason.toString(), "done");
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await closeHttps(https);
  });

  test("rejectUnauthorized: false accepts the self-signed certificate", async () => {
    const { https, url, wss } = await ourSecureServer();
    const client = new WebSocket(url, { rejectUnauthorized: false });
    await once(client, "open");
    assert.equal((await roundTrip(client, "insecure but encrypted"))[0].toString(), "insecure but encrypted");
    client.close();
    await closed(client);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await closeHttps(https);
  });

  test("without `ca` the self-signed certificate is refused: error, then close 1006", async () => {
    const { https, url, wss } = await ourSecureServer();
    let connections = 0;
    wss.on("connection", () => connections++);
    const client = new WebSocket(url);
    const errored = new Promise<WebSocketError>((resolve) => client.on("error", resolve));
    assert.equal((await closed(client))[0], 1006);
    const error = await errored;
    assert.equal(error.code, "HANDSHAKE_FAILED");
    assert.match(error.message, /certificate/i);
    assert.equal(connections, 0);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await closeHttps(https);
  });

  test("interop over TLS: ws client → our server, our client → ws server", async () => {
    const ours = await ourSecureServer();
    const wsClient = new WsWebSocket(ours.url, { ca: cert });
    await once(wsClient, "open");
    const reply = once(wsClient, "message") as Promise<[Buffer, boolean]>;
    wsClient.send("from ws");
    assert.equal((await reply)[0].toString(), "from ws");
    wsClient.close();
    await once(wsClient, "close");
    await new Promise<void>((resolve) => ours.wss.close(() => resolve()));
    await closeHttps(ours.https);

    const theirs = await httpsServer();
    const wsServer = new WsServer({ server: theirs.https });
    wsServer.on("connection", (ws) =>
      ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })),
    );
    const client = new WebSocket(theirs.url, { ca: cert });
    await once(client, "open");
    assert.equal((await roundTrip(client, "to ws"))[0].toString(), "to ws");
    client.close();
    await closed(client);
    await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    await closeHttps(theirs.https);
  });
});
