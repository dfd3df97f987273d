// The floor: the Socket.IO benchmark app (sio-app.ts's events) on bare `ws` + node:http with a hand-written
// minimum of Socket.IO 5 on `/` (CONNECT, EVENT, ACK, broadcast, in floor-app.ts) over floor-engine.ts.
// What any Socket.IO server must at least spend on a row; Volley ÷ this shows how far a library is from it.
import { floorApp } from "./floor-app.js";
import { FloorEngine } from "./floor-engine.js";
import { createTrackedHttpServer } from "./http.js";
import { type Counters, deflateOption, type Scenario, type ServerUnderTest } from "./types.js";

export async function startWsFloor(scenario: Scenario, counters: Counters): Promise<ServerUnderTest> {
  const http = createTrackedHttpServer();
  const engine: FloorEngine = new FloorEngine(
    http.server,
    floorApp(scenario, counters, (session) => engine.closeSession(session)),
    deflateOption(scenario),
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
