// Restart storms (issue 11, item 7): N Volley clients on a server that is closed and started again on the
// same port, once with a plain `io.close()` and once with `io.close({ graceful })`. Prints, per 10 % of
// the advised window, how many clients were back (connected to the new server), and the busiest slice.
//
//   node --conditions=volley-source --import tsx bench/graceful-restart.ts [clients=5000] [windowMs=10000]
//
// Real time (a benchmark, not a test): the run lasts about two windows. Clients and servers share the
// process, so the figures measure scheduling, not a network.
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as connect, type Socket } from "@volley/client";
import { Server } from "volley";

const N = Number(process.argv[2] ?? 5000);
const WINDOW = Number(process.argv[3] ?? 10_000);

/** The next `connect` or `disconnect` of a client socket. */
function event(socket: Socket, name: "connect" | "disconnect"): Promise<void> {
  return new Promise((resolve) => socket.once(name, () => resolve()));
}

async function start(port = 0): Promise<{ io: Server; port: number }> {
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  http.listen(port, "127.0.0.1");
  await once(http, "listening");
  return { io, port: (http.address() as AddressInfo).port };
}

async function run(graceful: boolean): Promise<void> {
  const first = await start();
  const clients: Socket[] = [];
  for (let i = 0; i < N; i++) {
    clients.push(connect(`http://127.0.0.1:${first.port}`, { forceNew: true, transports: ["websocket"] }));
    if (i % 250 === 249) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(clients.map((c) => (c.connected ? undefined : event(c, "connect"))));
  const gone = Promise.all(clients.map((c) => event(c, "disconnect")));
  const closedAt = performance.now();
  await (graceful ? first.io.close({ graceful: { reconnectWindow: WINDOW } }) : first.io.close());
  await gone;
  const second = await start(first.port);
  const backAt: number[] = [];
  await Promise.all(
    clients.map(async (c) => {
      await event(c, "connect");
      backAt.push(performance.now() - closedAt);
    }),
  );
  const slices = new Array<number>(10).fill(0);
  for (const t of backAt) slices[Math.min(9, Math.floor((t / WINDOW) * 10))]!++;
  const worst = Math.max(...slices);
  console.log(
    `${graceful ? "graceful" : "plain   "} close, ${N} clients, window ${WINDOW} ms: back per 10 % slice ` +
      `[${slices.join(", ")}], busiest ${((worst / N) * 100).toFixed(1)} %, last back after ` +
      `${Math.round(Math.max(...backAt))} ms`,
  );
  for (const c of clients) c.disconnect();
  await second.io.close();
}

await run(false);
await run(true);
process.exit(0);
