// Issue 12 item 5 with real processes: start-ups of 3 forked servers (Redis adapter on real Redis)
// while another process keeps a core busy; each reports ready only once it has joined, and then
// hears every other. Its own file: forking TypeScript servers is slow on a loaded machine, and the
// runner bounds each file. The in-process loop (30 start-ups) is in subscriptions.test.ts.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { spawnServer } from "./processes.js";
import { uniqueKey, until, useRedis } from "./helpers.js";

const redis = useRedis();

describe("start-ups of server processes under load", () => {
  let busy: ChildProcess | undefined;
  before(() => {
    // One core kept busy for the whole loop (the machine has two), bounded by its own timeout.
    busy = spawn(process.execPath, ["-e", "const end = Date.now() + 120000; while (Date.now() < end) {}"], {
      stdio: "ignore",
    });
  });
  after(async () => {
    if (busy && busy.exitCode === null) {
      busy.kill("SIGKILL");
      await once(busy, "exit");
    }
  });

  test("5 start-ups of 3 server processes: each reports ready only once joined, and hears every other", async () => {
    for (let round = 0; round < 5; round++) {
      const key = uniqueKey();
      const servers = await Promise.all(
        [0, 1, 2].map((i) => spawnServer(`r${round}s${i}`, { REDIS_PORT: String(redis.port), KEY: key })),
      );
      try {
        // Ready means joined: each one already counts the others or will as soon as their announcements arrive.
        await until(
          async () => {
            const counts = await Promise.all(servers.map((s) => s.call<number>("serverCount")));
            return counts.every((c) => c === 3);
            // A bound, not a timing assertion: with one core kept busy, forked servers can take seconds to answer.
          },
          `round ${round}: 3 servers clustered`,
          2000,
        );
        for (const server of servers) {
          const answers = await server.call<string[]>("serverSideEmitWithAck", "hello", server.name);
          assert.deepEqual(
            answers.sort(),
            servers
              .filter((s) => s !== server)
              .map((s) => `hello ${server.name} from ${s.name}`)
              .sort(),
          );
        }
      } finally {
        await Promise.all(servers.map((s) => s.close()));
      }
    }
  });
});
