// The load child: the same generator for every server. It connects N clients over loopback and runs
// echo or fan-out windows on request from the orchestrator.
import { serveIpc } from "../lib/ipc.js";
import type { LoadClient } from "./client.js";
import { type EchoResult, runEcho } from "./echo.js";
import { type FanoutResult, runFanout } from "./fanout.js";
import { type HandshakeResult, type HandshakeTransport, runHandshakes } from "./handshake.js";
import { PollingLoadClient } from "./polling-client.js";
import { SioLoadClient } from "./sio-client.js";
import { WsLoadClient } from "./ws-client.js";

/** `polling`: Socket.IO over Engine.IO long-polling only (load/polling-client.ts). */
export type Protocol = "websocket" | "socketio" | "polling";

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
  /** Socket.IO over websocket: offer permessage-deflate. */
  deflate?: boolean;
  /** Socket.IO: JSON-object echoes and triggers (see sio-client.ts). */
  json?: boolean;
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
        const c =
          protocol === "polling"
            ? await PollingLoadClient.connect({ port: target, size })
            : await SioLoadClient.connect({ port: target, size, deflate: args.deflate, json: args.json });
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
  handshake: (args: {
    transport: HandshakeTransport;
    port: number;
    clients: number;
    size: number;
  }): Promise<HandshakeResult> => {
    clients = new Array(args.clients);
    return runHandshakes(args.transport, args.port, args.clients, args.size, clients);
  },
  /** Bytes received so far on all clients' TCP connections (Socket.IO over websocket). */
  bytes: () => ({
    bytes: clients.reduce((sum, c) => sum + ((c as Partial<SioLoadClient>).bytesRead ?? 0), 0),
  }),
  close: () => {
    for (const c of clients) c?.close();
    clients = [];
    return {};
  },
});
