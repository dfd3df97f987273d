// The floor: the Socket.IO benchmark app (sio-app.ts's events) on bare `ws` + node:http with a hand-written
// minimum of Socket.IO 5 on `/` (CONNECT, EVENT, ACK, broadcast) over floor-engine.ts. What any Socket.IO
// server must at least spend on a row; Volley ÷ this shows how far a library is from it.
import { randomBytes } from "node:crypto";
import { FloorEngine, type FloorSession } from "./floor-engine.js";
import { createTrackedHttpServer } from "./http.js";
import { type Counters, deflateOption, type Scenario, type ServerUnderTest } from "./types.js";

/** The Socket.IO socket of a session once it sent CONNECT to `/`. */
interface FloorSocket {
  session: FloorSession;
  room?: string;
}

/** `2` EVENT with an optional ack id, then the JSON array `[name, ...args]`. */
const EVENT = /^2(\d*)(\[.*)$/s;

export async function startWsFloor(scenario: Scenario, counters: Counters): Promise<ServerUnderTest> {
  const http = createTrackedHttpServer();
  const sockets = new Set<FloorSocket>();
  const rooms = new Map<string, Set<FloorSocket>>();

  const broadcast = (to: Iterable<FloorSocket>, args: unknown[]) => {
    // Encoded once; each recipient's transport frames (and with deflate, compresses) it for itself.
    const packet = `42${JSON.stringify(args)}`;
    for (const socket of to) socket.session.send(packet);
  };

  const onEvent = (socket: FloorSocket, ackId: string, args: unknown[]) => {
    const [name, a, b] = args;
    const ack = (...reply: unknown[]) => {
      if (ackId !== "") socket.session.send(`43${ackId}${JSON.stringify(reply)}`);
    };
    if (name === "echo") {
      counters.messages++;
      ack(a);
    } else if (name === "emit") {
      counters.messages++;
      counters.deliveries += counters.connections;
      broadcast(sockets, ["tick", a]);
    } else if (name === "room") {
      const members = rooms.get(a as string);
      counters.messages++;
      counters.deliveries += members?.size ?? 0;
      if (members) broadcast(members, ["tick", b]);
    } else if (name === "join") {
      const room = a as string;
      socket.room = room;
      const members = rooms.get(room) ?? new Set<FloorSocket>();
      rooms.set(room, members);
      members.add(socket);
      ack();
    }
  };

  const engine = new FloorEngine(
    http.server,
    {
      open: () => {},
      message: (session, data) => {
        const socket = session.app as FloorSocket | undefined;
        if (data[0] === "0" && !socket) {
          const created: FloorSocket = { session };
          session.app = created;
          sockets.add(created);
          counters.connections++;
          session.send(`40${JSON.stringify({ sid: randomBytes(15).toString("base64url") })}`);
          return;
        }
        if (!socket || scenario === "idle") return;
        const match = EVENT.exec(data);
        if (!match) return;
        let args: unknown;
        try {
          args = JSON.parse(match[2]!);
        } catch {
          return engine.closeSession(session);
        }
        if (Array.isArray(args)) onEvent(socket, match[1]!, args);
      },
      close: (session) => {
        const socket = session.app as FloorSocket | undefined;
        if (!socket) return;
        sockets.delete(socket);
        counters.connections--;
        if (socket.room !== undefined) rooms.get(socket.room)?.delete(socket);
      },
    },
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
