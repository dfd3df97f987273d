// A bench floor, not production code: the floor's app and Engine.IO / Socket.IO minimum (floor-app.ts,
// floor-engine.ts, the same code ws-floor.ts runs) serving HTTP long-polling on a plain node:net server
// with a hand-written HTTP/1.1 (net-http.ts) instead of node:http. Beside ws-floor.ts it answers "what would
// polling cost without node:http, at best": the least any server on node:net must do for the polling rows.
// No websocket: the handshake offers `upgrades: []`, so only the polling rows can run on it.
import { floorApp } from "./floor-app.js";
import { FloorEngine } from "./floor-engine.js";
import { NetHttpServer } from "./net-http.js";
import { type Counters, deflateOption, type Scenario, type ServerUnderTest } from "./types.js";

export async function startNetPollingFloor(scenario: Scenario, counters: Counters): Promise<ServerUnderTest> {
  const http = new NetHttpServer();
  const engine: FloorEngine = new FloorEngine(
    http,
    floorApp(scenario, counters, (session) => engine.closeSession(session)),
    deflateOption(scenario),
    [],
  );
  const port = await http.listen();
  return {
    port,
    close: async () => {
      engine.close();
      await http.close();
    },
  };
}
