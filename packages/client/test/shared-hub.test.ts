// The hub (src/shared/hub.ts) in Node, against a real Volley server: tabs are message recorders. One
// socket per namespace for all tabs, the first tab's auth, ack ids remapped per tab, server ack requests
// answered once and bounded, emits held while disconnected, leaving, recovery from a tab's pid/offset.
// Then a tab's SharedSocket on its own hub (no SharedWorker or Web Locks in Node): ack timeouts on an
// injected clock.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, test } from "node:test";
import { sharedIo } from "@volley/client/shared";
import { Hub } from "../src/shared/hub.js";
import type { HubMessage } from "../src/shared/messages.js";
import { Server, type ServerOptions, type Socket as ServerSocket } from "volley";
import { WebSocketImpl } from "./helpers.js";

interface Harness {
  io: Server;
  url: string;
  close(): Promise<void>;
}

const opened: Harness[] = [];
async function start(opts: Partial<ServerOptions> = {}): Promise<Harness> {
  const http = createServer();
  const io = new Server(http, opts);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const harness = {
    io,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/`,
    close: async () => {
      http.closeAllConnections();
      await new Promise((resolve) => io.close(() => resolve(undefined)));
    },
  };
  opened.push(harness);
  return harness;
}

/** A hub whose tabs are recorders: `inbox[tab]` lists what each tab received, in order. */
function recordingHub() {
  const inbox: Record<string, HubMessage[]> = {};
  const waiters: Array<() => void> = [];
  const put = (tab: string, msg: HubMessage) => {
    inbox[tab] ??= [];
    inbox[tab].push(msg);
    for (const wake of waiters.splice(0)) wake();
  };
  const hub = new Hub({
    toTab: put,
    toTabs: (tabs, msg) => {
      for (const tab of tabs) put(tab, msg);
    },
  });
  /** Resolves once `done()` holds, checked after each message. */
  const until = async (done: () => boolean): Promise<void> => {
    while (!done()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  /** Resolves with the first message of `tab` matching `pick` (waiting for it if needed). */
  const received = async (tab: string, pick: (m: HubMessage) => boolean): Promise<HubMessage> => {
    await until(() => inbox[tab]?.some(pick) ?? false);
    return inbox[tab]!.find(pick)!;
  };
  return { hub, inbox, received, until };
}

const opts = { transports: ["websocket"], WebSocket: WebSocketImpl, reconnection: false };
const join = (url: string, tab: string, extra: object = {}) =>
  ({ t: "join", tab, nsp: "/", url, opts, auth: { tab }, ...extra }) as const;
const connected = (m: HubMessage) => m.t === "state" && m.connected;

afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.close();
});

describe("Hub", () => {
  test("two tabs, one socket: the first auth, broadcasts to both, acks to the tab that asked", async () => {
    const h = await start();
    h.io.on("connection", (s) => s.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v)));
    const { hub, inbox, received } = recordingHub();
    hub.receive({ t: "hi", tab: "A", locked: false });
    assert.deepEqual(inbox.A, [{ t: "hello", hub: hub.id }]);
    hub.receive(join(h.url, "A"));
    hub.receive(join(h.url, "B"));
    const state = await received("A", connected);
    await received("B", connected);
    assert.equal(h.io.of("/").sockets.size, 1);
    const [server] = [...h.io.of("/").sockets.values()] as ServerSocket[];
    assert.deepEqual(server!.handshake.auth, { tab: "A" });
    assert.equal((state as { id: string }).id, server!.id);

    // Both tabs number their emits from 0: the hub remaps, each answer goes back to its own tab.
    hub.receive({
      t: "emit",
      tab: "A",
      nsp: "/",
      seq: 0,
      args: ["echo", "a0"],
      ack: true,
      volatile: false,
      compress: true,
    });
    hub.receive({
      t: "emit",
      tab: "B",
      nsp: "/",
      seq: 0,
      args: ["echo", "b0"],
      ack: true,
      volatile: false,
      compress: true,
    });
    assert.deepEqual(await received("A", (m) => m.t === "ack"), { t: "ack", nsp: "/", seq: 0, args: ["a0"] });
    assert.deepEqual(await received("B", (m) => m.t === "ack"), { t: "ack", nsp: "/", seq: 0, args: ["b0"] });
    assert.ok(inbox.A!.some((m) => m.t === "took" && m.seq === 0 && !m.error));
    assert.equal(inbox.A!.filter((m) => m.t === "ack").length, 1, "B's ack did not reach A");

    h.io.emit("news", 1);
    assert.deepEqual(await received("B", (m) => m.t === "event"), {
      t: "event",
      nsp: "/",
      args: ["news", 1],
    });
    await received("A", (m) => m.t === "event");

    // A server ack request reaches both; the first answer is the one the server gets, once.
    const reply = server!.timeout(5000).emitWithAck("question");
    const asked = (await received("A", (m) => m.t === "event" && m.args[0] === "question")) as {
      ack: number;
    };
    hub.receive({ t: "answer", tab: "B", nsp: "/", id: asked.ack, args: ["from B"] });
    hub.receive({ t: "answer", tab: "A", nsp: "/", id: asked.ack, args: ["from A"] });
    assert.equal(await reply, "from B");
    assert.equal(hub.pendingServerAcks, 0);

    // The last tab to leave disconnects the namespace.
    const left = new Promise((resolve) => server!.once("disconnect", resolve));
    hub.receive({ t: "bye", tab: "A" });
    assert.equal(server!.connected, true);
    hub.receive({ t: "leave", tab: "B", nsp: "/" });
    assert.equal(await left, "client namespace disconnect");
    hub.close();
  });

  test("tabs joining a namespace while its CONNECT is in flight: one socket on the server", async () => {
    const h = await start();
    let admins = 0;
    h.io.of("/admin").on("connection", () => admins++);
    const { hub, received } = recordingHub();
    hub.receive(join(h.url, "A"));
    await received("A", connected);
    // The Manager is open: A's join sends a CONNECT for /admin; B's, before the answer, must not.
    hub.receive({ ...join(h.url, "A"), nsp: "/admin" });
    hub.receive({ ...join(h.url, "B"), nsp: "/admin" });
    await received("A", (m) => m.t === "state" && m.nsp === "/admin" && m.connected);
    await received("B", (m) => m.t === "state" && m.nsp === "/admin" && m.connected);
    assert.equal(h.io.of("/admin").sockets.size, 1);
    assert.equal(admins, 1);
    hub.close();
  });

  test("a refused namespace: every tab gets connect_error; a tab connecting it again brings its auth", async () => {
    const h = await start();
    h.io.use((socket, next) => (socket.handshake.auth.tab === "B" ? next() : next(new Error("not A"))));
    const { hub, received } = recordingHub();
    hub.receive(join(h.url, "A"));
    const refused = await received("A", (m) => m.t === "connect_error");
    assert.deepEqual(refused, {
      t: "connect_error",
      nsp: "/",
      message: "not A",
      code: "CONNECT_ERROR",
      data: undefined,
    });
    hub.receive(join(h.url, "B"));
    await received("B", connected);
    await received("A", connected);
    assert.deepEqual(
      [...h.io.of("/").sockets.values()].map((s) => s.handshake.auth),
      [{ tab: "B" }],
    );
    hub.close();
  });

  test("the connection drops: every tab gets disconnect, then connect when the Manager reconnects", async () => {
    const h = await start();
    const { hub, inbox, received, until } = recordingHub();
    const reconnecting = { ...opts, reconnection: true, reconnectionDelay: 1, randomizationFactor: 0 };
    hub.receive(join(h.url, "A", { opts: reconnecting }));
    hub.receive(join(h.url, "B"));
    await received("A", connected);
    await received("B", connected);
    const [server] = [...h.io.of("/").sockets.values()] as ServerSocket[];
    server!.conn.close();
    await until(() => ["A", "B"].every((tab) => inbox[tab]!.filter(connected).length === 2));
    const states = (tab: string) =>
      inbox[tab]!.flatMap((m) => (m.t === "state" ? [[m.connected, m.reason ?? null]] : []));
    assert.deepEqual(states("A"), [
      [true, null],
      [false, "transport close"],
      [true, null],
    ]);
    assert.deepEqual(states("B"), states("A"));
    assert.equal(h.io.of("/").sockets.size, 1);
    hub.close();
  });

  test("server ack requests waiting for a tab are bounded by maxPendingServerAcks", async () => {
    const h = await start();
    const { hub, inbox, received } = recordingHub();
    hub.receive(join(h.url, "A", { opts: { ...opts, maxPendingServerAcks: 2 } }));
    await received("A", connected);
    const [server] = [...h.io.of("/").sockets.values()] as ServerSocket[];
    for (let i = 0; i < 3; i++) server!.emit("question", i, () => {});
    await received("A", (m) => m.t === "event" && m.args[1] === 2);
    assert.equal(hub.pendingServerAcks, 2);
    const ids = inbox.A!.flatMap((m) => (m.t === "event" && m.ack !== undefined ? [m.ack] : []));
    assert.equal(ids.length, 3);
    // The oldest was dropped: answering it does nothing; the others still go through.
    hub.receive({ t: "answer", tab: "A", nsp: "/", id: ids[0]!, args: [] });
    assert.equal(hub.pendingServerAcks, 2);
    hub.receive({ t: "answer", tab: "A", nsp: "/", id: ids[2]!, args: [] });
    assert.equal(hub.pendingServerAcks, 1);
    hub.close();
  });

  test("emits wait for the connection; too large an emit fails in its took; volatile gets none", async () => {
    const h = await start({ maxHttpBufferSize: 1000 });
    const got: unknown[] = [];
    h.io.on("connection", (s) => s.on("note", (v: unknown) => got.push(v)));
    const { hub, inbox, received } = recordingHub();
    hub.receive(join(h.url, "A"));
    // Not connected yet: held, took only once handed to the socket.
    hub.receive({
      t: "emit",
      tab: "A",
      nsp: "/",
      seq: 0,
      args: ["note", 1],
      ack: false,
      volatile: false,
      compress: true,
    });
    hub.receive({
      t: "emit",
      tab: "A",
      nsp: "/",
      seq: 1,
      args: ["note", 2],
      ack: false,
      volatile: true,
      compress: true,
    });
    assert.equal(inbox.A, undefined);
    await received("A", (m) => m.t === "took" && m.seq === 0);
    hub.receive({
      t: "emit",
      tab: "A",
      nsp: "/",
      seq: 2,
      args: ["note", "x".repeat(2000)],
      ack: false,
      volatile: false,
      compress: true,
    });
    const took = await received("A", (m) => m.t === "took" && m.seq === 2);
    assert.equal((took as { error?: { code?: string } }).error?.code, "PAYLOAD_TOO_LARGE");
    hub.receive({
      t: "emit",
      tab: "A",
      nsp: "/",
      seq: 3,
      args: ["note", 3],
      ack: false,
      volatile: true,
      compress: true,
    });
    hub.receive({
      t: "emit",
      tab: "A",
      nsp: "/",
      seq: 4,
      args: ["note", 4],
      ack: false,
      volatile: false,
      compress: true,
    });
    await received("A", (m) => m.t === "took" && m.seq === 4);
    while (got.length < 3) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(got, [1, 3, 4], "the volatile emit made while disconnected was dropped");
    assert.ok(!inbox.A!.some((m) => m.t === "took" && m.seq === 3), "no took for a volatile emit");
    hub.close();
  });

  test("a hub joined with a tab's pid and offset recovers the session and its missed events", async () => {
    const h = await start({ connectionStateRecovery: { maxDisconnectionDuration: 60_000 } });
    const first = recordingHub();
    first.hub.receive(join(h.url, "A"));
    const state = (await first.received("A", connected)) as { pid?: string; id: string };
    assert.ok(state.pid);
    h.io.emit("news", 1);
    const event = (await first.received("A", (m) => m.t === "event")) as { offset?: string; args: unknown[] };
    assert.ok(event.offset);
    const [server] = [...h.io.of("/").sockets.values()] as ServerSocket[];
    const away = new Promise((resolve) => server!.once("disconnect", resolve));
    first.hub.close(); // as a dying hub: the transport closes, no namespace DISCONNECT
    assert.equal(await away, "transport close");
    h.io.emit("news", 2);

    const second = recordingHub();
    second.hub.receive(join(h.url, "B", { pid: state.pid, offset: event.offset }));
    const again = (await second.received("B", connected)) as { id: string; recovered: boolean };
    assert.deepEqual([again.id, again.recovered], [state.id, true]);
    const missed = (await second.received("B", (m) => m.t === "event")) as { args: unknown[] };
    assert.equal(missed.args[1], 2);
    second.hub.close();
  });
});

describe("SharedSocket on its own hub (Node: no SharedWorker, no Web Locks)", () => {
  test("too large an emit: emitWithAck rejects, a plain emit's error is socket.io's `error`", async () => {
    const h = await start({ maxHttpBufferSize: 1000 });
    const socket = sharedIo(h.url, opts);
    await new Promise((resolve) => socket.once("connect", resolve));
    await assert.rejects(socket.emitWithAck("note", "x".repeat(2000)), { code: "PAYLOAD_TOO_LARGE" });
    const reported = new Promise<{ code: string }>((resolve) => socket.io.on("error", resolve));
    socket.emit("note", "x".repeat(2000));
    assert.equal((await reported).code, "PAYLOAD_TOO_LARGE");
    socket.disconnect();
  });

  test("emits with acks, ack timeout on an injected clock, reserved names", async () => {
    const h = await start();
    h.io.on("connection", (s) => {
      s.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v));
      s.on("silent", () => {});
    });
    const pending: Array<() => void> = [];
    const timers = {
      setTimeout: (fn: () => void) => pending.push(fn),
      clearTimeout: () => {},
      now: () => 0,
    };
    const socket = sharedIo(h.url, { ...opts, forceNew: true, timers });
    assert.equal(socket.io.mode, "none");
    await new Promise((resolve) => socket.once("connect", resolve));
    assert.equal(await socket.emitWithAck("echo", 42), 42);
    const late = socket.timeout(10).emitWithAck("silent");
    while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    pending.shift()!();
    await assert.rejects(late, { code: "ACK_TIMEOUT" });
    assert.throws(() => socket.emit("disconnect" as never), { code: "RESERVED_EVENT" });
    const reason = new Promise((resolve) => socket.once("disconnect", resolve));
    socket.disconnect();
    assert.equal(await reason, "io client disconnect");
  });
});
