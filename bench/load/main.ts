// The load child: the same generator for every server. It connects N clients over loopback and runs
// echo or fan-out windows on request from the orchestrator.
import { serveIpc } from "../lib/ipc.js";
import type { LoadClient } from "./client.js";
import { type EchoResult, runEcho } from "./echo.js";
import { type FanoutResult, runFanout } from "./fanout.js";
import { SioLoadClient } from "./sio-client.js";
import { WsLoadClient } from "./ws-client.js";

export type Protocol = "websocket" | "socketio";

export interface ConnectArgs {
  protocol: Protocol;
  port: number;
  /** Cluster rows: client i connects to `ports[i % ports.length]` (the driver, client 0, to the first). */
  ports?: number[];
  clients: number;
  size: number;
  /** Socket.IO only: client i joins room `r<i % rooms>`. */
  rooms?: number;
  /** WebSocket only: incoming messages are broadcasts (sequence numbers), not echoes. */
  fanout?: boolean;
  /** Handshakes in flight at once. */
  concurrency?: number;
}

let clients: LoadClient[] = [];
let targets: { room?: string; recipients: number }[] = [];

process.on("uncaughtException", (err) => {
  console.error("[load] uncaught:", err);
  process.exit(1);
});

async function connect(args: ConnectArgs): Promise<{ connected: number }> {
  const { protocol, port, ports, size, rooms = 0 } = args;
  const concurrency = args.concurrency ?? 100;
  const list: LoadClient[] = new Array(args.clients);
  let next = 0;
  const worker = async () => {
    while (next < args.clients) {
      const i = next++;
      const target = ports && ports.length > 0 ? ports[i % ports.length]! : port;
      if (protocol === "websocket") list[i] = await WsLoadClient.connect({ port: target, size });
      else {
        const c = await SioLoadClient.connect({ port: target, size });
        if (rooms > 0) await c.join(`r${i % rooms}`);
        list[i] = c;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, args.clients) }, worker));
  clients = list;
  if (protocol === "websocket" && args.fanout) for (const c of list) (c as WsLoadClient).expectTicks();
  targets =
    rooms > 0
      ? Array.from({ length: rooms }, (_, r) => ({
          room: `r${r}`,
          recipients: Math.floor(args.clients / rooms) + (r < args.clients % rooms ? 1 : 0),
        }))
      : [{ recipients: args.clients }];
  return { connected: list.length };
}

serveIpc({
  connect: (args: ConnectArgs) => connect(args),
  echo: ({ durationMs, drainMs }: { durationMs: number; drainMs: number }): Promise<EchoResult> =>
    runEcho(clients, durationMs, drainMs),
  fanout: ({
    durationMs,
    drainMs,
    depth,
  }: {
    durationMs: number;
    drainMs: number;
    depth: number;
  }): Promise<FanoutResult> => runFanout(clients, { durationMs, drainMs, depth, targets }),
  close: () => {
    for (const c of clients) c.close();
    clients = [];
    return {};
  },
});
