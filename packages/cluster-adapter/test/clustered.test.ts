// The clustered app on real node:cluster workers (fixtures/clustered-app.ts, forked by
// runClustered behind one shared port): rooms and broadcasts span the workers, a SIGKILLed worker
// is replaced and its clients recover on the others, and polling clients land on any worker
// without a single 400. Bounded: every wait is on an event, the runner's timeout is the hang guard.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  io as ioc,
  type ManagerOptions,
  type Socket as ClientSocket,
  type SocketOptions,
} from "socket.io-client";
import { next, until } from "../../redis-adapter/test/helpers.js";
import { ClusteredApp } from "./clustered.js";

const WORKERS = 2;

describe("runClustered: real node:cluster workers on one port", () => {
  let app: ClusteredApp;
  let url: string;
  const clients: ClientSocket[] = [];

  before(async () => {
    const started = await ClusteredApp.start(WORKERS);
    app = started.app;
    url = `http://127.0.0.1:${started.port}`;
  });

  after(async () => {
    for (const c of clients) {
      c.io.opts.reconnection = false;
      c.disconnect();
    }
    await app.stop();
  });

  /** Resolves once connected; rejects on a refused connection (a 400 among them). */
  function connected(socket: ClientSocket): Promise<ClientSocket> {
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", (err: Error & { description?: unknown }) =>
        reject(
          new Error(
            `connect_error: ${err.message} ${String((err.description as Error)?.message ?? err.description)}`,
          ),
        ),
      );
    });
  }

  function client(opts: Partial<ManagerOptions & SocketOptions> = {}): ClientSocket {
    const socket = ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"], ...opts });
    clients.push(socket);
    return socket;
  }

  /** Connects clients until both workers have at least `each` of them in `room`; returns them by worker pid. */
  async function spread(
    room: string,
    each: number,
    opts: Partial<ManagerOptions & SocketOptions> = {},
  ): Promise<Map<number, ClientSocket[]>> {
    const byWorker = new Map<number, ClientSocket[]>();
    // node:cluster hands connections round-robin: a bounded number of tries covers every worker.
    for (let i = 0; i < 50; i++) {
      const socket = await connected(client(opts));
      const pid = (await socket.emitWithAck("join", room)) as number;
      const list = byWorker.get(pid) ?? [];
      list.push(socket);
      byWorker.set(pid, list);
      if (byWorker.size === WORKERS && [...byWorker.values()].every((l) => l.length >= each)) return byWorker;
    }
    throw new Error(`clients did not spread over ${WORKERS} workers: ${[...byWorker.keys()]}`);
  }

  test("rooms and broadcasts span the workers", async () => {
    const byWorker = await spread("lobby", 2);
    const everyone = [...byWorker.values()].flat();
    const heard = everyone.map((c) => next<[string]>(c, "said"));
    everyone[0]!.emit("say", "lobby", "hello all");
    for (const [text] of await Promise.all(heard)) assert.equal(text, "hello all");
    const outsider = await connected(client());
    const quiet: string[] = [];
    outsider.on("said", (t: string) => quiet.push(t));
    const marker = everyone.map((c) => next<[string]>(c, "said"));
    everyone.at(-1)!.emit("say", "lobby", "second");
    await Promise.all(marker);
    // The outsider's own worker relayed nothing to it; a round trip through that worker settles it.
    await outsider.emitWithAck("whoami");
    assert.deepEqual(quiet, []);
  });

  test("polling clients across the workers: forwarded to their session's owner, no HTTP 400", async () => {
    const polling = { transports: ["polling"] as string[] };
    const byWorker = await spread("poll", 3, polling);
    const everyone = [...byWorker.values()].flat();
    const errors: string[] = [];
    for (const c of everyone) {
      c.on("disconnect", (reason: string) => errors.push(`disconnect: ${reason}`));
      c.on("connect_error", (err: Error) => errors.push(`connect_error: ${err.message}`));
    }
    for (let round = 0; round < 5; round++) {
      const heard = everyone.map((c) => next<[string]>(c, "said"));
      everyone[round % everyone.length]!.emit("say", "poll", `round ${round}`);
      for (const [text] of await Promise.all(heard)) assert.equal(text, `round ${round}`);
    }
    assert.deepEqual(errors, []);
    const stats = await app.stats(WORKERS);
    assert.equal(
      stats.reduce((n, s) => n + (s.http400 as number), 0),
      0,
      "no 400 on any worker",
    );
    assert.equal(app.reports.filter((r) => r.event === "http400").length, 0);
    assert.ok(
      stats.reduce((n, s) => n + (s.forwardedRequests as number), 0) > 0,
      "requests reached workers that did not own their session and were forwarded",
    );
  });

  test("a SIGKILLed worker is replaced; its clients reconnect to the others and recover", async () => {
    const byWorker = await spread("recover", 1, {
      reconnection: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 200,
    });
    const [victim, survivorPid] = [...byWorker.keys()];
    const orphans = byWorker.get(victim!)!;
    const survivor = byWorker.get(survivorPid!)![0]!;
    // A logged broadcast first, so the orphans hold an offset.
    const first = orphans.map((c) => next(c, "said"));
    survivor.emit("say", "recover", "before");
    await Promise.all(first);
    const got = orphans.map(() => [] as string[]);
    orphans.forEach((c, i) => {
      c.on("said", (t: string) => got[i]!.push(t));
    });
    const reconnected = orphans.map((c) => next(c, "connect"));
    const gone = orphans.map((c) => next(c, "disconnect"));
    const replaced = app.next((r) => r.event === "listening" && r.pid !== victim && r.pid !== survivorPid);
    process.kill(victim!, "SIGKILL");
    await Promise.all(gone);
    // Sent while (or after) the orphans were away: recovered from the primary's log, or live.
    const survivorHeard = next(survivor, "said");
    survivor.emit("say", "recover", "while away");
    await survivorHeard;
    await Promise.all(reconnected);
    for (const c of orphans) assert.equal(c.recovered, true, "session recovered");
    // The recovered sockets are in their room again, on a live worker.
    const after = orphans.map((c) => next(c, "said"));
    survivor.emit("say", "recover", "after");
    await Promise.all(after);
    for (const list of got) assert.deepEqual(list, ["while away", "after"]);
    const replacement = await replaced;
    assert.notEqual(replacement.pid, victim);
  });

  test("the primary dies: every worker exits with it, and their clients are disconnected", async () => {
    const byWorker = await spread("last", 1);
    const clientsGone = [...byWorker.values()].flat().map((c) => next(c, "disconnect"));
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const workers = [...byWorker.keys()];
    await app.killPrimary();
    await Promise.all(clientsGone);
    // Not our children: their exit is seen by probing (bounded).
    await until(() => workers.every((pid) => !alive(pid)), "every worker to exit", 1000);
  });
});
