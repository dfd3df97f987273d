// `@volley/websocket` running the same WebSocket benchmark app as ws-reference.ts. The module is loaded by
// name at run time and typed here by the few members the bench uses, so the bench does not break while
// the package's own types change.
import { createTrackedHttpServer } from "./http.js";
import type { Counters, Scenario, ServerUnderTest } from "./types.js";

interface VolleySocket {
  on(event: "message", cb: (data: Buffer, isBinary: boolean) => void): void;
  on(event: "close", cb: () => void): void;
  send(data: Buffer, options: { binary: boolean }): void;
  sendPrepared(prepared: unknown): void;
}
interface VolleyServer {
  on(event: "connection", cb: (ws: VolleySocket) => void): void;
  close(): void;
}
interface VolleyWebSocketModule {
  WebSocketServer: new (options: Record<string, unknown>) => VolleyServer;
  prepareMessage?: (data: Buffer, options: { binary: boolean }) => unknown;
}

const MODULE = "@volley/websocket";

export async function startVolleyWs(scenario: Scenario, counters: Counters): Promise<ServerUnderTest> {
  const mod = (await import(MODULE)) as VolleyWebSocketModule;
  if (typeof mod.WebSocketServer !== "function") throw new Error(`${MODULE} does not export WebSocketServer`);
  const prepareMessage = mod.prepareMessage;
  if (scenario === "fanout" && typeof prepareMessage !== "function") {
    throw new Error(`${MODULE} does not export prepareMessage`);
  }
  const http = createTrackedHttpServer();
  const wss = new mod.WebSocketServer({
    server: http.server,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const clients = new Set<VolleySocket>();
  wss.on("connection", (ws) => {
    clients.add(ws);
    counters.connections++;
    ws.on("close", () => {
      clients.delete(ws);
      counters.connections--;
    });
    if (scenario === "echo") {
      ws.on("message", (data, isBinary) => {
        counters.messages++;
        ws.send(data, { binary: isBinary });
      });
    } else if (scenario === "fanout") {
      ws.on("message", (data, isBinary) => {
        counters.messages++;
        counters.deliveries += clients.size;
        const prepared = prepareMessage!(data, { binary: isBinary });
        for (const client of clients) client.sendPrepared(prepared);
      });
    }
  });
  const port = await http.listen();
  return {
    port,
    close: async () => {
      wss.close();
      await http.close();
    },
  };
}
