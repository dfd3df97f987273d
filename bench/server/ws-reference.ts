// `ws` (with bufferutil, as installed) running the WebSocket benchmark app.
import { type WebSocket, WebSocketServer } from "ws";
import { createTrackedHttpServer } from "./http.js";
import type { Counters, Scenario, ServerUnderTest } from "./types.js";

export async function startWsReference(scenario: Scenario, counters: Counters): Promise<ServerUnderTest> {
  const http = createTrackedHttpServer();
  const wss = new WebSocketServer({ server: http.server, perMessageDeflate: false, clientTracking: false });
  // Our own set for every library, so tracking costs the same on both sides.
  const clients = new Set<WebSocket>();
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
        ws.send(data as Buffer, { binary: isBinary });
      });
    } else if (scenario === "fanout") {
      // ws has no frame-once API: its README's broadcast loops `client.send(data)`, framing per client.
      ws.on("message", (data, isBinary) => {
        counters.messages++;
        counters.deliveries += clients.size;
        for (const client of clients) client.send(data as Buffer, { binary: isBinary });
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
