// Redis's side of a socket's own room, measured alone on a dedicated redis-server: a channel per
// socket (SUBSCRIBE at each connection) against one pattern per node (PSUBSCRIBE once), for 3
// subscriber connections holding 1,000 sockets. Redis CPU (INFO CPU, µs) for the subscriptions, and
// per PUBLISH to the broadcast channel every node listens to (what `io.emit` costs Redis), alternating
// the two set-ups. Run: node --import tsx bench/cluster-own-rooms.ts
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";

const SOCKETS = 1000;
const NODES = 3;
const PUBLISHES = 20_000;
const RUNS = 5;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function redisCpu(admin: Redis): Promise<number> {
  const info = String(await admin.call("INFO", "CPU"));
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)![1]);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1e6;
}

async function run(admin: Redis, port: number, pattern: boolean, round: number) {
  const key = `bench-${round}-${pattern ? "p" : "c"}`;
  const subs = Array.from({ length: NODES }, () => new Redis(port, "127.0.0.1"));
  await Promise.all(subs.map((s) => s.subscribe(`${key}#/#`)));
  const cpu0 = await redisCpu(admin);
  await Promise.all(
    subs.map(async (sub, n) => {
      if (pattern) await sub.psubscribe(`${key}#/#node${n}.*`);
      else for (let i = n; i < SOCKETS; i += NODES) await sub.subscribe(`${key}#/#node${n}.socket${i}#`);
    }),
  );
  const cpu1 = await redisCpu(admin);
  let received = 0;
  for (const sub of subs) sub.on("message", () => received++);
  const payload = Buffer.alloc(64, 1);
  for (let i = 0; i < PUBLISHES; i += 100) {
    await Promise.all(Array.from({ length: 100 }, () => admin.publish(`${key}#/#`, payload)));
  }
  while (received < PUBLISHES * NODES) await new Promise((r) => setTimeout(r, 5));
  const cpu2 = await redisCpu(admin);
  await Promise.all(subs.map((s) => s.quit()));
  return { subscribeUs: cpu1 - cpu0, publishUs: (cpu2 - cpu1) / PUBLISHES };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const port = await freePort();
const redis = spawn(
  "redis-server",
  ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  {
    stdio: "ignore",
  },
);
// Retries until the fresh redis-server listens.
const admin = new Redis(port, "127.0.0.1", { retryStrategy: () => 50 });
try {
  await admin.ping();
  type Run = { subscribeUs: number; publishUs: number };
  const results: Record<"channel" | "pattern", Run[]> = { channel: [], pattern: [] };
  for (let round = 0; round < RUNS; round++) {
    results.channel.push(await run(admin, port, false, round));
    results.pattern.push(await run(admin, port, true, round));
  }
  for (const [name, rs] of Object.entries(results)) {
    console.log(
      `${name.padEnd(8)} subscriptions for ${SOCKETS} sockets: ${median(rs.map((r) => r.subscribeUs)).toFixed(0)} µs Redis CPU; ` +
        `per PUBLISH to 3 nodes: ${median(rs.map((r) => r.publishUs)).toFixed(2)} µs (medians of ${RUNS})`,
    );
  }
} finally {
  await admin.quit();
  redis.kill("SIGKILL");
}
