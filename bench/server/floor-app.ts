// The floor's Socket.IO app: sio-app.ts's events (echo, emit, room, join) over a hand-written minimum of
// Socket.IO 5 on `/` (CONNECT, EVENT, ACK, broadcast), as FloorEngine handlers. One code for both floors
// (ws-floor.ts on node:http + `ws`, net-polling-floor.ts on node:net), so they differ only below it.
import { randomBytes } from "node:crypto";
import type { FloorHandlers, FloorSession } from "./floor-engine.js";
import type { Counters, Scenario } from "./types.js";

/** The Socket.IO socket of a session once it sent CONNECT to `/`. */
interface FloorSocket {
  session: FloorSession;
  room?: string;
}

/** `2` EVENT with an optional ack id, then the JSON array `[name, ...args]`. */
const EVENT = /^2(\d*)(\[.*)$/s;

/** The app's engine handlers; `closeSession` ends a session whose packet does not parse. */
export function floorApp(
  scenario: Scenario,
  counters: Counters,
  closeSession: (session: FloorSession) => void,
): FloorHandlers {
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

  return {
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
        return closeSession(session);
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
  };
}
