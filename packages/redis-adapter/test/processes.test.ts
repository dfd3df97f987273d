// Several real server processes on Redis, socket.io-client sockets on each: the cluster acts as one
// server, a SIGKILLed node makes nobody wait, and a client of a killed node recovers on another.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { closeClients, connected, next, uniqueKey, until, useRedis } from "./helpers.js";
import { type ServerProcess, spawnServer, startBalancer } from "./processes.js";

const redis = useRedis();

async function spawnCluster(n: number, env: Record<string, string> = {}): Promise<ServerProcess[]> {
  const key = uniqueKey();
  const servers = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      spawnServer(`s${i}`, { REDIS_PORT: String(redis.port), KEY: key, ...env }),
    ),
  );
  await until(async () => {
    const counts = await Promise.all(servers.map((s) => s.call<number>("serverCount")));
    return counts.every((c) => c === n);
  }, `${n} servers clustered`);
  return servers;
}

function client(url: string, opts = {}): ClientSocket {
  return ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"], ...opts });
}

async function joined(socket: ClientSocket, ...rooms: Array<string | number>): Promise<ClientSocket> {
  await connected(socket);
  for (const room of rooms) await socket.emitWithAck("join", room);
  return socket;
}

// One cluster for the whole file (starting a TypeScript process is the slow part): the tests run in
// order and each leaves it as the next one expects — the second kills s2, the third kills s0.
// Recovery is on throughout, so broadcasts take the logged path (stream + publish) everywhere.
describe("redis adapter, separate server processes", () => {
  let servers: ServerProcess[] = [];
  before(async () => {
    // Default liveness options: a killed server must be known gone by Redis alone, within 2 s.
    servers = await spawnCluster(3, { RECOVERY: "1", REQUESTS_TIMEOUT: "60000" });
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  test("broadcasts, rooms, fetchSockets, socketsJoin, disconnectSockets, serverSideEmit and acks", async () => {
    const clients: ClientSocket[] = [];
    try {
      const [a, b, c] = await Promise.all([
        joined(client(servers[0]!.url), "red", 42),
        joined(client(servers[1]!.url), "red", "muted"),
        joined(client(servers[2]!.url), "blue", 37),
      ]);
      clients.push(a!, b!, c!);

      // Numeric rooms travel as numbers: to(42) from another process, in(37).fetchSockets().
      const numeric = next(a!, "numeric");
      await servers[1]!.call("emit", [42], [], "numeric", "to 42");
      assert.equal((await numeric)[0], "to 42");
      const in37 = await servers[0]!.call<Array<{ id: string; rooms: unknown[] }>>("fetchSockets", [37]);
      assert.deepEqual(
        in37.map((s) => s.id),
        [c!.id],
      );
      assert.ok(in37[0]!.rooms.includes(37), "room 37 stays a number");

      // Broadcast to all, then to a room with an exception, from different processes.
      const all = [a, b, c].map((s) => next(s!, "all"));
      await servers[1]!.call("emit", [], [], "all", { n: 1 });
      // (The last argument is the recovery offset socket.io-client keeps.)
      for (const got of await Promise.all(all)) assert.deepEqual(got[0], { n: 1 });
      const seen: string[] = [];
      for (const [name, s] of [
        ["a", a],
        ["b", b],
        ["c", c],
      ] as const)
        s!.on("red", () => seen.push(name));
      const ends = [a, b, c].map((s) => next(s!, "end"));
      await servers[2]!.call("emit", ["red"], ["muted"], "red");
      await servers[2]!.call("emit", [], [], "end");
      await Promise.all(ends);
      assert.deepEqual(seen, ["a"]);

      // fetchSockets from a third process sees both red members with their rooms.
      const red = await servers[2]!.call<Array<{ id: string; rooms: string[] }>>("fetchSockets", ["red"]);
      assert.deepEqual(red.map((s) => s.id).sort(), [a!.id, b!.id].sort());
      assert.deepEqual(red.find((s) => s.id === b!.id)!.rooms, [b!.id, "muted", "red"].sort());

      // socketsJoin on one process moves sockets living on others.
      await servers[0]!.call("socketsJoin", ["blue"], "green");
      await until(
        async () => (await servers[1]!.call<unknown[]>("fetchSockets", ["green"])).length === 1,
        "c in green",
      );

      // serverSideEmit with acknowledgements from the two other processes.
      const answers = await servers[0]!.call<string[]>("serverSideEmitWithAck", "hello", "s0");
      assert.deepEqual(answers.sort(), ["hello s0 from s1", "hello s0 from s2"]);

      // emitWithAck across processes, with a deadline: every client answers.
      for (const [i, s] of [a, b, c].entries()) s!.on("q", (ack: (v: number) => void) => ack(i));
      const acks = await servers[1]!.call<{ responses: number[] }>("emitWithAck", [], 5000, "q");
      assert.deepEqual(acks.responses.sort(), [0, 1, 2]);

      // disconnectSockets from one process closes a socket on another.
      const gone = next(c!, "disconnect");
      await servers[1]!.call("disconnectSockets", ["green"]);
      assert.equal((await gone)[0], "io server disconnect");
    } finally {
      closeClients(clients);
    }
  });

  test("a SIGKILLed server is dropped from the cluster and requests do not wait for it", async () => {
    // requestsTimeout is long (60 s): if a request waited for the dead server, it would fail, not pass.
    const clients: ClientSocket[] = [];
    try {
      const a = await joined(client(servers[0]!.url), "room");
      const c = await joined(client(servers[2]!.url), "room");
      clients.push(a, c);
      c.on("q", (ack: (v: string) => void) => ack("never"));
      const killedAt = Date.now();
      await servers[2]!.kill();
      // Right after the kill, before anyone noticed: the request must still end without the dead server.
      const sockets = await servers[1]!.call<Array<{ id: string }>>("fetchSockets", ["room"]);
      assert.deepEqual(
        sockets.map((s) => s.id),
        [a.id],
      );
      // Redis drops the dead server's subscriptions at once; every server sees it on its next probe.
      await until(async () => {
        const counts = await Promise.all(servers.slice(0, 2).map((s) => s.call<number>("serverCount")));
        return counts.every((n) => n === 2);
      }, "s0 and s1 counting 2 servers");
      const noticed = Date.now() - killedAt;
      process.stdout.write(`# SIGKILLed server known gone by both others after ${noticed} ms\n`);
      assert.ok(noticed < 2000, `noticed after ${noticed} ms`);
      a.on("q", (ack: (v: string) => void) => ack("alive"));
      const acks = await servers[1]!.call<{ responses: string[] }>("emitWithAck", ["room"], 60_000, "q");
      assert.deepEqual(acks.responses, ["alive"]);
      const answers = await servers[0]!.call<string[]>("serverSideEmitWithAck", "hello", "s0");
      assert.deepEqual(answers, ["hello s0 from s1"]);
    } finally {
      closeClients(clients);
    }
  });

  test("connection-state recovery on another server after the first one is SIGKILLed", async () => {
    await until(async () => (await servers[1]!.call("serverCount")) === 2, "s0 and s1 left");
    const balancer = await startBalancer(servers[0]!.port);
    const clients: ClientSocket[] = [];
    try {
      const socket = client(balancer.url, {
        reconnection: true,
        reconnectionDelay: 50,
        randomizationFactor: 0,
      });
      clients.push(socket);
      await joined(socket, "news");
      const other = await joined(client(servers[1]!.url), "news");
      clients.push(other);
      const got: string[] = [];
      socket.on("news", (text: string) => got.push(text));
      const firstTwo = new Promise<void>((resolve) => {
        socket.on("news", () => got.length === 2 && resolve());
      });
      await servers[1]!.call("emit", ["news"], [], "news", "1");
      await servers[1]!.call("emit", [], [], "news", "2");
      await firstTwo;
      const sid = socket.id;

      // The load balancer sends new connections to s1; s0 dies without a word.
      balancer.target = servers[1]!.port;
      const dropped = next(socket, "disconnect");
      await servers[0]!.kill();
      await dropped;
      // Missed while away: to its room, to everyone, and one it must not get (other room).
      await servers[1]!.call("emit", ["news"], [], "news", "3");
      await servers[1]!.call("emit", [], [], "news", "4");
      await servers[1]!.call("emit", ["elsewhere"], [], "news", "not for it");
      await next(socket, "connect");
      assert.equal(socket.recovered, true);
      assert.equal(socket.id, sid);
      await until(() => got.length >= 4, "missed packets replayed");
      // Live again, through the room it had joined on the dead server.
      const live = new Promise<void>((resolve) => socket.on("news", (t: string) => t === "5" && resolve()));
      await servers[1]!.call("emit", ["news"], [], "news", "5");
      await live;
      assert.deepEqual(got, ["1", "2", "3", "4", "5"]);
      const members = await servers[1]!.call<Array<{ id: string }>>("fetchSockets", ["news"]);
      assert.deepEqual(members.map((s) => s.id).sort(), [sid, other.id].sort());
    } finally {
      closeClients(clients);
      await balancer.close();
    }
  });
});
