// A worker of the `workers` rows (forked by workers-primary.ts): the Socket.IO bench app on the library's
// node:cluster set-up, answering the primary's `{ bench: "mark" | "report", id }` with its counters and CPU.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { attachSioApp, type SioServerLike } from "./sio-app.js";
import type { Counters } from "./types.js";

const [impl] = process.argv.slice(2) as ["volley" | "socket.io"];
const counters: Counters = { messages: 0, deliveries: 0, connections: 0 };
let cpuMark = process.cpuUsage();

process.on("message", (msg: { bench?: string; id?: number }) => {
  if (msg?.bench === "mark") {
    counters.messages = 0;
    counters.deliveries = 0;
    cpuMark = process.cpuUsage();
    process.send?.({ bench: "answer", id: msg.id, result: {} });
  } else if (msg?.bench === "report") {
    const cpu = process.cpuUsage(cpuMark);
    process.send?.({ bench: "answer", id: msg.id, result: { cpuUs: cpu.user + cpu.system, ...counters } });
  }
});

const http = createServer();
if (impl === "volley") {
  const { Server } = await import("volley");
  const { createAdapter, createSessionRouter } = await import("@volley/cluster-adapter");
  const io = new Server(http, {
    serveClient: false,
    // As in the other rows: the generator sends beyond a public server's per-socket event rate.
    eventRateLimit: false,
    adapter: createAdapter(),
    sessionRouter: await createSessionRouter(http),
  });
  attachSioApp(io as unknown as SioServerLike, "fanout", counters);
  await (io.of("/").adapter as { whenJoined?(): Promise<void> }).whenJoined?.();
  http.listen(0, "127.0.0.1", () => {
    process.send?.({ bench: "ready", port: (http.address() as AddressInfo).port });
  });
} else {
  const { Server } = await import("socket.io");
  const { createAdapter } = await import("@socket.io/cluster-adapter");
  const { setupWorker } = await import("@socket.io/sticky");
  const io = new Server(http, { serveClient: false, adapter: createAdapter() });
  setupWorker(io);
  attachSioApp(io as unknown as SioServerLike, "fanout", counters);
  process.send?.({ bench: "ready" });
}
