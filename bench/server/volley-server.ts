// `volley` (the Socket.IO-compatible server) running the same app as socketio-reference.ts. Loaded by
// name at run time and typed by the members the bench uses, so its changing types cannot break the bench.
import { createTrackedHttpServer } from "./http.js";
import { attachSioApp, type SioServerLike } from "./sio-app.js";
import type { Counters, Scenario, ServerUnderTest } from "./types.js";

interface VolleyServer extends SioServerLike {
  close(): unknown;
}
interface VolleyModule {
  Server: new (http: unknown, options?: Record<string, unknown>) => VolleyServer;
}

const MODULE = "volley";

export async function startVolleyServer(scenario: Scenario, counters: Counters): Promise<ServerUnderTest> {
  const mod = (await import(MODULE)) as VolleyModule;
  if (typeof mod.Server !== "function") throw new Error(`${MODULE} does not export Server`);
  const http = createTrackedHttpServer();
  // The load generator sends as fast as it can, beyond a public server's per-socket event rate; socket.io has
  // no such limit, so the comparison runs without it.
  const io = new mod.Server(http.server, { serveClient: false, eventRateLimit: false });
  attachSioApp(io, scenario, counters);
  const port = await http.listen();
  return {
    port,
    close: async () => {
      await io.close();
      await http.close();
    },
  };
}
