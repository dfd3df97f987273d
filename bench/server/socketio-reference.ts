// socket.io 4.8 running the Socket.IO benchmark app.
import { Server } from "socket.io";
import { createTrackedHttpServer } from "./http.js";
import { attachSioApp, type SioServerLike } from "./sio-app.js";
import type { Counters, Scenario, ServerUnderTest } from "./types.js";

export async function startSocketIoReference(
  scenario: Scenario,
  counters: Counters,
): Promise<ServerUnderTest> {
  const http = createTrackedHttpServer();
  const io = new Server(http.server, { serveClient: false });
  attachSioApp(io as unknown as SioServerLike, scenario, counters);
  const port = await http.listen();
  return {
    port,
    close: async () => {
      io.close();
      await http.close();
    },
  };
}
